// Types of the generated standalone validators (scripts/gen-validator.mjs).
export interface ValidateFunction {
  (data: unknown): boolean;
  errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] | null;
}
export const validateTemplate: ValidateFunction;
export const validateSpec: ValidateFunction;
