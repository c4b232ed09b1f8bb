import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import type { K8sObject } from "./kustomize.js";

/**
 * Offline schema validation of rendered manifests. Core kinds: the Kubernetes OpenAPI schema of
 * `kubernetes-models` 5.1.0, generated from Kubernetes v1.36.0. CRDs: the schemas of `@kubernetes-models/keda`
 * 2.0.0 (KEDA's ScaledObject) and `@kubernetes-models/prometheus-operator` 6.0.0 (ServiceMonitor).
 *
 * Only the apiVersion/kind pairs below are accepted: kubernetes-models also carries API versions Kubernetes has
 * removed (extensions/v1beta1 and the like), and this list keeps a removed one from passing. The schemas do not
 * forbid unknown fields (Kubernetes' OpenAPI has no additionalProperties: false): k8s-unknown-fields.ts does.
 */
export const KUBERNETES_SCHEMA_VERSION = "1.36.0";

type Model = new (data: never) => { validate(): void };

/** Each accepted `apiVersion/kind`: its model class and the module that declares it (and its `I<Kind>` type). */
export const MODELS: Record<string, { module: string; Model: Model }> = {
  "v1/Namespace": { module: "kubernetes-models/v1/Namespace", Model: Namespace },
  "v1/ConfigMap": { module: "kubernetes-models/v1/ConfigMap", Model: ConfigMap },
  "v1/Secret": { module: "kubernetes-models/v1/Secret", Model: Secret },
  "v1/Service": { module: "kubernetes-models/v1/Service", Model: Service },
  "apps/v1/Deployment": { module: "kubernetes-models/apps/v1/Deployment", Model: Deployment },
  "apps/v1/StatefulSet": { module: "kubernetes-models/apps/v1/StatefulSet", Model: StatefulSet },
  "policy/v1/PodDisruptionBudget": {
    module: "kubernetes-models/policy/v1/PodDisruptionBudget",
    Model: PodDisruptionBudget,
  },
  "networking.k8s.io/v1/NetworkPolicy": {
    module: "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
    Model: NetworkPolicy,
  },
  "autoscaling/v2/HorizontalPodAutoscaler": {
    module: "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
    Model: HorizontalPodAutoscaler,
  },
  "keda.sh/v1alpha1/ScaledObject": {
    module: "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject",
    Model: ScaledObject,
  },
  "monitoring.coreos.com/v1/ServiceMonitor": {
    module: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor",
    Model: ServiceMonitor,
  },
};

/** The schema errors of `object` (one line each, naming the object), or an empty list when it is valid. */
export function schemaErrors(object: K8sObject): string[] {
  const id = `${object.kind} ${object.metadata?.name ?? "<no name>"}`;
  const Model = MODELS[`${object.apiVersion}/${object.kind}`]?.Model;
  if (!Model) return [`${id}: no schema for ${object.apiVersion} ${object.kind} (not a kind this project validates)`];
  try {
    new Model(structuredClone(object) as never).validate();
    return [];
  } catch (error) {
    return [`${id}: ${(error as Error).message}`];
  }
}
