// The admins' users and units (`/api/admin/users`, `/api/admin/units`) and the password change
// (`/api/me/password`). Online only: administration is not something to queue offline.
//
// The types follow the server's `server/src/api/admin.rs` by hand for now; they are to be
// generated from it like the record types.

import { apiGet, apiResponse } from "../auth/api";
import type { Role } from "../generated/rules";

/** A user as admins see them (`/api/directory`'s fields, plus the password state). */
export interface AdminUser {
  id: string;
  username: string;
  display_name: string;
  roles: Role[];
  unit: string | null;
  disabled: boolean;
  must_change_password: boolean;
}

export interface NewUserRequest {
  username: string;
  display_name: string;
  roles: Role[];
  unit: string | null;
}

/** The fields given change; `unit: null` takes the user out of every unit. */
export interface UserPatch {
  display_name?: string;
  roles?: Role[];
  unit?: string | null;
}

/** The answer of creating a user and of a reset: the one-time password is shown once. */
export interface WithPassword {
  user: AdminUser;
  one_time_password: string;
}

export interface AdminUnit {
  id: string;
  name: string;
  parent: string | null;
}

export interface NewUnitRequest {
  id: string;
  name: string;
  parent: string | null;
}

/** Rename (`name`) and/or move (`parent`; null: to the top). */
export interface UnitPatch {
  name?: string;
  parent?: string | null;
}

export interface PasswordChange {
  current: string;
  new: string;
}

async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await apiResponse(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
}

const user = (id: string) => `/api/admin/users/${encodeURIComponent(id)}`;

export const admin = {
  users: () => apiGet<AdminUser[]>("/api/admin/users"),
  createUser: (request: NewUserRequest) => send<WithPassword>("POST", "/api/admin/users", request),
  patchUser: (id: string, patch: UserPatch) => send<AdminUser>("PATCH", user(id), patch),
  resetPassword: (id: string) => send<WithPassword>("POST", `${user(id)}/reset`),
  disable: (id: string) => send<AdminUser>("POST", `${user(id)}/disable`),
  enable: (id: string) => send<AdminUser>("POST", `${user(id)}/enable`),
  units: () => apiGet<AdminUnit[]>("/api/admin/units"),
  createUnit: (request: NewUnitRequest) => send<AdminUnit>("POST", "/api/admin/units", request),
  patchUnit: (id: string, patch: UnitPatch) => send<AdminUnit>("PATCH", `/api/admin/units/${encodeURIComponent(id)}`, patch),
};

/** Changes the signed-in user's password; other devices are signed out, this one stays. */
export function changePassword(change: PasswordChange): Promise<void> {
  return send<void>("POST", "/api/me/password", change);
}

/** The units as a tree, depth-first by name: for a list that shows the hierarchy by indent. */
export function unitTree(units: AdminUnit[]): { unit: AdminUnit; depth: number }[] {
  const known = new Set(units.map((u) => u.id));
  const children = new Map<string | null, AdminUnit[]>();
  for (const unit of units) {
    const parent = unit.parent && known.has(unit.parent) ? unit.parent : null;
    children.set(parent, [...(children.get(parent) ?? []), unit]);
  }
  const out: { unit: AdminUnit; depth: number }[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number) => {
    const below = [...(children.get(parent) ?? [])].sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
    for (const unit of below) {
      if (seen.has(unit.id)) continue;
      seen.add(unit.id);
      out.push({ unit, depth });
      walk(unit.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** Ids of `id` and every unit below it: where `id` may not move. */
export function unitAndBelow(units: AdminUnit[], id: string): Set<string> {
  const out = new Set([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const unit of units) {
      if (unit.parent && out.has(unit.parent) && !out.has(unit.id)) {
        out.add(unit.id);
        grew = true;
      }
    }
  }
  return out;
}
