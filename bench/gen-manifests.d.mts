// Types for the benchmark's stream generator (used by test/manifests/stream.test.ts).
export function generate(n: number, options?: { seed?: string; format?: 'stream' | 'resourcelist' }): string;
