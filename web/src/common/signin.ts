/** The sign-in check every signed-in page starts with (the console, the deputy's and the
 * department's pages): who the login cookie names, whether a refusal means "not signed in"
 * (the page shows its sign-in screen) or a fault, and signing out. */
import { get, post, type ApiError } from "./api";
import type { Account } from "./types";

/** The signed-in account (the login cookie), or the hub's refusal. */
export function whoAmI(): Promise<Account> {
  return get<Account>("/auth/me");
}

/** Not signed in (or no longer): the page shows its sign-in screen, not an error. */
export function signedOut(e: unknown): boolean {
  const status = (e as ApiError).status;
  return status === 401 || status === 403;
}

/** End the login; the cookie is gone either way, so a failure changes nothing. */
export async function signOut(): Promise<void> {
  try {
    await post("/auth/logout");
  } catch {
    /* the cookie is gone either way */
  }
}
