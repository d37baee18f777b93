// The training config's JSON schemas, from the same OpenAPI document as the API types.
import openapi from "../api/openapi.json";
import type { JsonSchema } from "../editor/SchemaForm";

const components = (openapi as unknown as { components: { schemas: Record<string, JsonSchema> } }).components.schemas;

/** A schema with its $refs (one level of properties) resolved. */
export function schemaOf(name: string): JsonSchema {
  const schema = components[name];
  const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, value]) => {
    const ref = value.$ref ?? value.anyOf?.find((v) => v.$ref)?.$ref;
    return [key, ref ? { ...components[ref.split("/").pop()!], description: value.description } : value];
  }));
  return { ...schema, properties };
}

type Operation = { operationId?: string; parameters?: { name: string; schema: JsonSchema }[] };
const operations = Object.values((openapi as unknown as { paths: Record<string, Record<string, Operation>> }).paths)
  .flatMap((methods) => Object.values(methods));

/** The values an operation's parameter may take, as the schema lists them (e.g. the formats
 * `export_run` writes). */
export function parameterValues(operationId: string, name: string): string[] {
  const operation = operations.find((o) => o.operationId === operationId);
  const values = operation?.parameters?.find((p) => p.name === name)?.schema.enum;
  if (!values) throw new Error(`the API schema has no values for ${operationId}'s ${name}`);
  return values.map(String);
}

export const TRAINING_SCHEMA = schemaOf("TrainingSpec");
