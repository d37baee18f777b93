// The whole editor state in the URL: the spec (and training settings) as base64url JSON
// in the hash, so a link reproduces the network.
export interface Shared {
  spec?: unknown;
  training?: unknown;
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(data: string): string {
  const binary = atob(data.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export function readUrl(): Shared {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const out: Shared = {};
  for (const key of ["spec", "training"] as const) {
    const value = params.get(key);
    if (!value) continue;
    try {
      out[key] = JSON.parse(fromBase64Url(value));
    } catch {
      // a damaged link: start from the defaults
    }
  }
  return out;
}

export function writeUrl(state: Shared): void {
  const params = new URLSearchParams();
  if (state.spec) params.set("spec", toBase64Url(JSON.stringify(state.spec)));
  if (state.training) params.set("training", toBase64Url(JSON.stringify(state.training)));
  const hash = "#" + params.toString();
  if (hash !== window.location.hash) window.history.replaceState(null, "", hash);
}
