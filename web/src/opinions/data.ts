/** Reference data for the opinion pages (options, stations, deputies, the
 * account), kept in localStorage so that the capture form still opens offline. */
import { get } from "../common/api";
import { Stations } from "../common/stations";
import type { Account, Items, StationNode } from "../common/types";
import type { Deputy, OpinionOptions } from "./types";

const CACHE = "liaisonHub.opinionRefs.v1";

export interface Refs {
  account: Account;
  options: OpinionOptions;
  stations: Stations;
  deputies: Deputy[];
}

interface Cached {
  account: Account;
  options: OpinionOptions;
  tree: StationNode[];
  deputies: Deputy[];
}

let memo: Promise<Refs> | null = null;

async function fetchRefs(): Promise<Refs> {
  const [account, options, tree] = await Promise.all([
    get<Account>("/auth/me"),
    get<OpinionOptions>("/opinion-options"),
    get<Items<StationNode>>("/stations"),
  ]);
  let deputies: Deputy[] = [];
  if (account.role === "administrator" || account.role === "dispatcher") {
    try {
      deputies = (await get<Items<Deputy>>("/deputies")).items.filter((d) => d.active);
    } catch {
      deputies = [];
    }
  }
  try {
    const cached: Cached = { account, options, tree: tree.items, deputies };
    window.localStorage.setItem(CACHE, JSON.stringify(cached));
  } catch {
    /* the cache is a convenience */
  }
  return { account, options, stations: new Stations(tree.items), deputies };
}

/** The reference data: from the server, else (offline) the last copy kept. */
export function loadRefs(force = false): Promise<Refs> {
  if (memo && !force) return memo;
  memo = fetchRefs().catch((e) => {
    memo = null;
    try {
      const raw = window.localStorage.getItem(CACHE);
      if (raw) {
        const c = JSON.parse(raw) as Cached;
        return { account: c.account, options: c.options, stations: new Stations(c.tree), deputies: c.deputies };
      }
    } catch {
      /* fall through */
    }
    throw e;
  });
  return memo;
}
