// The layers whose output never reaches the network's output (a dead end left by a
// removed connection), as the last validation found them: each node marks itself.
import { createContext } from "react";

export const DisconnectedContext = createContext<ReadonlySet<string>>(new Set());
