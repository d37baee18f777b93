// The sign-in page of a server with accounts: a name and a password; a wrong pair, or
// too many of them, is said in words.
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, api, type Me } from "../api/client";

export function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const { t } = useTranslation("classroom");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.signIn(name, password));
    } catch (failure) {
      const status = failure instanceof ApiError ? failure.status : 0;
      setError(t(status === 429 ? "signIn.tooMany" : status === 401 ? "signIn.wrong" : "signIn.failed"));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <h1>LayerLab</h1>
      <form onSubmit={submit} aria-label={t("signIn.title")}>
        <h2>{t("signIn.title")}</h2>
        <div className="field">
          <label htmlFor="sign-in-name">{t("signIn.name")}</label>
          <input id="sign-in-name" autoComplete="username" value={name} required
            onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="sign-in-password">{t("signIn.password")}</label>
          <input id="sign-in-password" type="password" autoComplete="current-password" value={password} required
            onChange={(e) => setPassword(e.target.value)} />
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>{t("signIn.submit")}</button>
        <p className="muted">{t("signIn.help")}</p>
      </form>
    </main>
  );
}
