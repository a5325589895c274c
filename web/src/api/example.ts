// A usage example of the typed client, checked by `tsc --noEmit -p web` in
// the black-box test ts_client (API-1): it compiles only while the generated
// types match these calls, and each `@ts-expect-error` line proves that the
// types refuse a wrong call (a line that type-checks there fails the build).
// Never run by the tests.

import { createTarelloClient, type Problem, type Schemas, type TarelloClient } from "./client";

/** Fails with the server's problem details. */
function fail(what: string, problem: Problem): never {
  throw new Error(`${what}: ${problem.status} ${problem.code}: ${problem.detail}`);
}

/** Logs in, then works in workspace `ws` with a workspace token. */
export async function example(
  baseUrl: string,
  email: string,
  password: string,
  ws: string,
): Promise<Schemas["CardView"]> {
  const account = createTarelloClient(baseUrl);
  const login = await account.POST("/api/v1/auth/login", { body: { email, password } });
  if (login.error) {
    // `code` is the stable string to switch on, e.g. `second-factor-required`.
    fail("login", login.error);
  }
  const tokens: Schemas["Tokens"] = login.data;

  const me = createTarelloClient(baseUrl, tokens.access_token);
  const exchanged = await me.POST("/api/v1/workspaces/{ws}/token", { params: { path: { ws } } });
  if (exchanged.error) {
    fail("workspace token", exchanged.error);
  }
  const client: TarelloClient = createTarelloClient(baseUrl, () => exchanged.data.access_token);
  return work(client, ws);
}

async function work(client: TarelloClient, ws: string): Promise<Schemas["CardView"]> {
  // A board (`visibility` has a default, so it may be left out), a list, a card.
  const board = await client.POST("/api/v1/workspaces/{ws}/boards", {
    params: { path: { ws } },
    body: { name: "Roadmap", description: "Next quarter" },
  });
  if (board.error) {
    fail("create board", board.error);
  }
  const visibility: "private" | "workspace" | "public" = board.data.visibility;

  const list = await client.POST("/api/v1/workspaces/{ws}/boards/{id}/lists", {
    params: { path: { ws, id: board.data.id } },
    body: { name: "Todo" },
  });
  if (list.error) {
    fail("create list", list.error);
  }
  const card = await client.POST("/api/v1/workspaces/{ws}/lists/{id}/cards", {
    params: { path: { ws, id: list.data.id } },
    body: { title: "Ship the client", due_date: "2026-12-01", position: 0 },
  });
  if (card.error) {
    fail("create card", card.error);
  }

  // Cards with filters, page by page.
  const found: Schemas["CardView"][] = [];
  let cursor: string | undefined;
  do {
    const page = await client.GET("/api/v1/workspaces/{ws}/cards", {
      params: {
        path: { ws },
        query: {
          board_id: board.data.id,
          due_from: "2026-11-01",
          due_to: "2026-12-31",
          archived: false,
          limit: 100,
          ...(cursor === undefined ? {} : { cursor }),
        },
      },
    });
    if (page.error) {
      fail("list cards", page.error);
    }
    found.push(...page.data.items);
    cursor = page.data.next_cursor ?? undefined;
  } while (cursor !== undefined);

  // An edit based on the version it saw: a stale one is a 409 `conflict`.
  const patched = await client.PATCH("/api/v1/workspaces/{ws}/cards/{id}", {
    params: { path: { ws, id: card.data.id } },
    body: { version: card.data.version, title: "Ship the typed client", due_date: null },
  });
  if (patched.error) {
    if (patched.response.status === 409) {
      // Someone else changed it: fetch it again and retry.
    }
    fail("patch card", patched.error);
  }
  const version: number = patched.data.version;

  const detail = await client.GET("/api/v1/workspaces/{ws}/boards/{id}", {
    params: { path: { ws, id: board.data.id } },
  });
  if (detail.error) {
    fail("show board", detail.error);
  }
  const titles: string[] = detail.data.lists.flatMap((l) => l.cards.map((c) => c.title));

  console.log(visibility, found.length, version, titles);
  return patched.data;
}

/** Calls the types refuse: each line below must be a type error. */
export async function refused(client: TarelloClient, ws: string, id: string): Promise<void> {
  // @ts-expect-error: no such path
  await client.GET("/api/v1/workspaces/{ws}/no-such-thing", { params: { path: { ws } } });
  // @ts-expect-error: a card edit must say which version it is based on
  await client.PATCH("/api/v1/workspaces/{ws}/cards/{id}", { params: { path: { ws, id } }, body: { title: "x" } });
  await client.GET("/api/v1/workspaces/{ws}/cards", {
    // @ts-expect-error: `limit` is a number
    params: { path: { ws }, query: { limit: "50" } },
  });
  // @ts-expect-error: the path parameter `ws` is required
  await client.POST("/api/v1/workspaces/{ws}/boards", { body: { name: "No workspace" } });
  const board = await client.POST("/api/v1/workspaces/{ws}/boards", {
    params: { path: { ws } },
    // @ts-expect-error: not a visibility
    body: { name: "Roadmap", visibility: "secret" },
  });
  if (board.data) {
    // @ts-expect-error: a board has no `title`
    console.log(board.data.title);
  }
}
