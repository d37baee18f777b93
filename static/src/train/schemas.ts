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

export const TRAINING_SCHEMA = schemaOf("TrainingSpec");
export const NESTED = ["optimizer", "schedule", "early_stopping"] as const;
/** Nested settings that only one task reads, shown only for it. */
export const TASK_NESTED: Record<string, string> = { gan: "gan" };
