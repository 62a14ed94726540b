/**
 * Validates Kubernetes objects against the official OpenAPI schemas, through
 * kubernetes-models (generated from the Kubernetes OpenAPI spec; it does not
 * reject unknown fields, so tests also check the fields they care about).
 */
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Pod } from 'kubernetes-models/v1/Pod';
import { ReplicationController } from 'kubernetes-models/v1/ReplicationController';

type Model = new (data: never) => { validate(): void };
const MODELS: Record<string, Model> = {
  'apps/v1/Deployment': Deployment as unknown as Model,
  'apps/v1/StatefulSet': StatefulSet as unknown as Model,
  'apps/v1/DaemonSet': DaemonSet as unknown as Model,
  'apps/v1/ReplicaSet': ReplicaSet as unknown as Model,
  'batch/v1/Job': Job as unknown as Model,
  'batch/v1/CronJob': CronJob as unknown as Model,
  'v1/Pod': Pod as unknown as Model,
  'v1/ReplicationController': ReplicationController as unknown as Model,
};

/** Throws a readable error when a workload object breaks its kind's schema; returns false for kinds it has no model for. */
export function validateWorkload(obj: { apiVersion?: string; kind?: string }): boolean {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) return false;
  new Model(obj as never).validate();
  return true;
}
