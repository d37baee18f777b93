// The server's rules the UI follows (GET /meta: which statuses are final, which runs can go
// on, the resolution boundaries stream at), loaded once by the app and read where needed.
import { createContext, useContext } from "react";
import type { MetaOut } from "./client";

export const MetaContext = createContext<MetaOut | null>(null);

/** The server's rules; the app provides them before anything that reads them is shown. */
export function useMeta(): MetaOut {
  const meta = useContext(MetaContext);
  if (!meta) throw new Error("useMeta outside MetaContext: the app provides it once /meta answers");
  return meta;
}
