import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { MODELS } from "./k8s-schema.js";
import type { K8sObject } from "./kustomize.js";

const NODE_MODULES = fileURLToPath(new URL("../../../node_modules/", import.meta.url));

/**
 * Fields the Kubernetes API does not know (a misspelt `livenessProbe.exec.comand`), which the OpenAPI schemas let
 * through. Each object is written as a TypeScript literal typed with its kubernetes-models interface, and the
 * compiler's excess-property check names the unknown field (at least one per wrong object), the way the API server's
 * strict field validation would refuse it. One line per error, naming the object.
 */
export async function unknownFieldErrors(objects: K8sObject[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "pancode-k8s-fields-"));
  try {
    const file = join(dir, "objects.ts");
    const names: string[] = [];
    const lines = objects.map((object, index) => {
      const entry = MODELS[`${object.apiVersion}/${object.kind}`];
      names.push(`${object.kind} ${object.metadata.name}`);
      if (!entry)
        return `// ${object.apiVersion} ${object.kind}: no type (schemaErrors reports it)\nexport const o${index} = null;`;
      return `import type { I${object.kind} as T${index} } from "${entry.module}";\nexport const o${index}: T${index} = ${JSON.stringify(object)};`;
    });
    await writeFile(file, `${lines.join("\n")}\n`);
    const program = ts.createProgram([file], {
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      types: [],
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      // The file sits in a temp dir: resolve the model packages from this repository.
      baseUrl: NODE_MODULES,
      paths: { "kubernetes-models/*": ["kubernetes-models/*"], "@kubernetes-models/*": ["@kubernetes-models/*"] },
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
      const object = names[Math.floor(line / 2)] ?? "objects.ts";
      return `${object}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
