// The typed client of the Tarello HTTP API (API-1).
//
// `schema.d.ts` beside this file is generated from the server's OpenAPI
// document (`GET /api/schema/`) by `scripts/gen-client`; a black-box test
// (crates/tarello/tests/blackbox/ts_client.rs) fails when it no longer
// matches what the server serves, and type-checks this folder against it.
// Never edit `schema.d.ts` by hand.

import createClient, { type Client, type ClientOptions, type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";

export type { components, operations, paths } from "./schema";

/** The document's named schemas: `Schemas["CardView"]`, `Schemas["Problem"]`, … */
export type Schemas = components["schemas"];

/** The error body of every failed call (RFC 9457 problem details). */
export type Problem = Schemas["Problem"];

/** A client for every documented operation, typed by path and method. */
export type TarelloClient = Client<paths>;

/**
 * The bearer token to send: an account access token, a workspace token or a
 * machine (API) token. A function is asked before every request, so a token
 * that is refreshed is picked up; `undefined` or `null` sends none.
 */
export type TokenSource =
  | string
  | null
  | undefined
  | (() => string | null | undefined | Promise<string | null | undefined>);

/** What `createClient` of openapi-fetch accepts, less what this module sets. */
export type TarelloClientOptions = Omit<ClientOptions, "baseUrl">;

/**
 * A typed client of the Tarello server at `baseUrl` (its origin, e.g.
 * `https://tarello.example.com`: the documented paths start with `/api/v1/`),
 * sending `token` as `Authorization: Bearer <token>`.
 *
 * Every call resolves to `{ data, error, response }`: `data` is the typed
 * body of a success, `error` the `Problem` of a failure.
 */
export function createTarelloClient(
  baseUrl: string,
  token?: TokenSource,
  options: TarelloClientOptions = {},
): TarelloClient {
  const client = createClient<paths>({ ...options, baseUrl: baseUrl.replace(/\/+$/, "") });
  client.use(bearer(token));
  return client;
}

function bearer(token: TokenSource): Middleware {
  return {
    async onRequest({ request }) {
      const value = typeof token === "function" ? await token() : token;
      if (value) {
        request.headers.set("Authorization", `Bearer ${value}`);
      }
      return request;
    },
  };
}
