// The authors of conflicting values: a record's view provides its document and the actor →
// user names the server's history gives (cached offline); each conflict chooser then says who
// wrote each value and when.

import { createContext, useContext, useMemo, type ReactNode } from "react";
import { getActorId, type Doc } from "@automerge/automerge/slim";

import { useDirectory } from "../app/context";
import { opOrigins } from "../domain/authorship";
import { isoDateTime } from "../domain/time";
import { useT } from "../i18n";
import { personName } from "../sync/directory";
import { actorUsers, type RecordHistory } from "../sync/history";

interface Authorship {
  doc: Doc<unknown>;
  users: ReadonlyMap<string, string>;
  /** This phone's actor and its user: its own writes are known before the server names them. */
  ownActor: string | null;
  me: string;
}

const Context = createContext<Authorship | null>(null);

export function ConflictAuthors({ doc, history, me, children }: { doc: object; history: RecordHistory | null | undefined; me: string; children: ReactNode }) {
  const users = useMemo(() => actorUsers(history), [history]);
  const value = useMemo(() => {
    let ownActor: string | null;
    try {
      ownActor = getActorId(doc as Doc<unknown>);
    } catch {
      ownActor = null;
    }
    return { doc: doc as Doc<unknown>, users, ownActor, me };
  }, [doc, users, me]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

/** "张伟 · 2026-12-05 10:00" for the operations that wrote one value; null outside a provider. */
export function useAuthorLabel(): ((ops: readonly string[]) => string) | null {
  const t = useT();
  const dir = useDirectory();
  const ctx = useContext(Context);
  if (!ctx) return null;
  return (ops) => {
    const origins = [...opOrigins(ctx.doc, ops).values()];
    if (origins.length === 0) return t("conflict.by_unknown");
    return origins
      .map((o) => {
        const user = ctx.users.get(o.actor) ?? (o.actor === ctx.ownActor ? ctx.me : null);
        const who = user ? personName(dir, user) : t("conflict.by_unknown");
        return o.at === null ? who : t("conflict.by", { who, when: isoDateTime(o.at) });
      })
      .join("；");
  };
}
