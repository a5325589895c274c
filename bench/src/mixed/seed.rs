//! Seeding through the HTTP API: people (sign-up, emailed code, login),
//! workspaces, boards, lists and cards; members added with SQL (there is no
//! invitation flow yet); tags through the API when it has them, else with
//! SQL; two comments per card with SQL.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::server::Server;

pub const PASSWORD: &str = "correct horse battery staple 42";
/// The people of each workspace, in order: person 0 creates it.
pub const ROLES: [&str; 5] = ["admin", "member", "member", "member", "observer"];
pub const BOARDS: usize = 3;
pub const LISTS: usize = 4;
pub const CARDS_PER_LIST: usize = 25;
pub const TAGS: usize = 5;
/// Comments seeded per card (with SQL).
pub const SEED_COMMENTS: usize = 2;
/// Lists of the big board.
pub const BIG_LISTS: usize = 5;
/// Concurrent seeding requests (sign-ups: Argon2 runs on a pool of 2).
const PARALLEL: usize = 8;
const SIGNUP_PARALLEL: usize = 4;

#[derive(Debug, Clone)]
pub struct Person {
    pub role: &'static str,
    pub user_id: Uuid,
    pub email: String,
    /// Account access token (15 minutes).
    pub account: String,
}

#[derive(Debug, Clone)]
pub struct Board {
    pub id: Uuid,
    pub lists: Vec<Uuid>,
    /// (card, index of its list in `lists`).
    pub cards: Vec<(Uuid, usize)>,
}

#[derive(Debug, Clone)]
pub struct Ws {
    pub slug: String,
    pub id: Uuid,
    pub people: Vec<Person>,
    pub boards: Vec<Board>,
    pub tags: Vec<Uuid>,
}

impl Ws {
    pub fn schema(&self) -> String {
        format!("t_{}", self.id.simple())
    }

    pub fn role(&self) -> String {
        format!("tr_{}", self.id.simple())
    }
}

#[derive(Debug)]
pub struct Seeded {
    pub workspaces: Vec<Ws>,
    /// The big board's workspace (one board, `BIG_LISTS` lists).
    pub big: Option<Ws>,
    /// Tags were inserted with SQL (`POST …/tags` not there yet).
    pub tags_via_sql: bool,
}

/// A thin JSON client.
#[derive(Debug, Clone)]
pub struct Api {
    pub c: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: &str) -> anyhow::Result<Api> {
        Ok(Api {
            c: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            base: format!("{base}/api/v1"),
        })
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self.c.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let r = req.send().await?;
        let status = r.status().as_u16();
        let text = r.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// `call`, and a 2xx or an error naming the request.
    pub async fn ok(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let (s, v) = self.call(method.clone(), path, token, body).await?;
        if !(200..300).contains(&s) {
            bail!("{method} {path}: {s} {v}");
        }
        Ok(v)
    }
}

fn id_of(v: &Value, what: &str) -> anyhow::Result<Uuid> {
    v["id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .with_context(|| format!("{what}: no id in {v}"))
}

/// Runs `f` over `items`, at most `limit` at once; results in item order.
pub async fn par_map<T, R, F, Fut>(limit: usize, items: Vec<T>, f: F) -> anyhow::Result<Vec<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<R>> + Send + 'static,
{
    let f = Arc::new(f);
    let sem = Arc::new(Semaphore::new(limit.max(1)));
    let mut set = JoinSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let f = Arc::clone(&f);
        let sem = Arc::clone(&sem);
        set.spawn(async move {
            let _permit = sem.acquire_owned().await?;
            Ok::<_, anyhow::Error>((i, f(item).await?))
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r??);
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

/// Sign-up, emailed code, verify, login: the account access token.
async fn person(api: Api, srv: Arc<Server>, email: String) -> anyhow::Result<String> {
    let (s, body) = api
        .call(
            Method::POST,
            "/auth/signup",
            None,
            Some(&json!({ "email": email, "password": PASSWORD, "name": "Bench Person" })),
        )
        .await?;
    if s != 202 {
        bail!("signup {email}: {s} {body}");
    }
    let code = srv.mailed_code(&email).await?;
    api.ok(
        Method::POST,
        "/auth/signup/verify",
        None,
        Some(&json!({ "email": email, "code": code })),
    )
    .await?;
    login(&api, &email).await
}

/// Logs a seeded person in (`PASSWORD`): a fresh account access token.
pub async fn login(api: &Api, email: &str) -> anyhow::Result<String> {
    let v = api
        .ok(
            Method::POST,
            "/auth/login",
            None,
            Some(&json!({ "email": email, "password": PASSWORD })),
        )
        .await?;
    v["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("login answered without access_token")
}

/// A workspace token for each of `people` (same order).
pub async fn workspace_tokens(
    api: &Api,
    slug: &str,
    people: &[Person],
) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for p in people {
        let v = api
            .ok(
                Method::POST,
                &format!("/workspaces/{slug}/token"),
                Some(&p.account),
                None,
            )
            .await?;
        out.push(
            v["access_token"]
                .as_str()
                .context("token answered without access_token")?
                .to_owned(),
        );
    }
    Ok(out)
}

pub async fn create_workspace(api: &Api, admin: &Person, slug: &str) -> anyhow::Result<Uuid> {
    let v = api
        .ok(
            Method::POST,
            "/workspaces",
            Some(&admin.account),
            Some(&json!({ "slug": slug, "name": format!("Bench {slug}") })),
        )
        .await?;
    id_of(&v, "POST /workspaces")
}

/// Boards with lists (admin's token), then the cards of every list at once
/// (writers' tokens in turn).
pub async fn fill_boards(
    api: &Api,
    slug: &str,
    tokens: &[String],
    boards: usize,
    lists: usize,
    cards: usize,
    name: &str,
) -> anyhow::Result<Vec<Board>> {
    let admin = tokens.first().context("no admin token")?;
    let mut out = Vec::new();
    for b in 0..boards {
        let v = api
            .ok(
                Method::POST,
                &format!("/workspaces/{slug}/boards"),
                Some(admin),
                Some(&json!({ "name": format!("{name} {}", b + 1), "visibility": "workspace" })),
            )
            .await?;
        let id = id_of(&v, "POST boards")?;
        let mut ls = Vec::new();
        for l in 0..lists {
            let v = api
                .ok(
                    Method::POST,
                    &format!("/workspaces/{slug}/boards/{id}/lists"),
                    Some(admin),
                    Some(&json!({ "name": format!("List {}", l + 1) })),
                )
                .await?;
            ls.push(id_of(&v, "POST lists")?);
        }
        out.push(Board {
            id,
            lists: ls,
            cards: Vec::new(),
        });
    }
    let writers: Vec<String> = tokens.iter().take(4).cloned().collect();
    let mut jobs = Vec::new();
    for (b, board) in out.iter().enumerate() {
        for n in 0..cards {
            for (l, list) in board.lists.iter().enumerate() {
                let token = writers
                    .get((n + l) % writers.len().max(1))
                    .context("no writer token")?
                    .clone();
                jobs.push((b, l, *list, n, token));
            }
        }
    }
    let api2 = api.clone();
    let slug2 = slug.to_owned();
    let made = par_map(PARALLEL, jobs, move |(b, l, list, n, token)| {
        let api = api2.clone();
        let slug = slug2.clone();
        async move {
            let body = json!({
                "title": format!("Card {} of list {}", n + 1, l + 1),
                "description": "Seeded by tarello-bench mixed: a short description of about a hundred characters, like many real cards.",
            });
            let v = api
                .ok(
                    Method::POST,
                    &format!("/workspaces/{slug}/lists/{list}/cards"),
                    Some(&token),
                    Some(&body),
                )
                .await?;
            Ok((b, l, id_of(&v, "POST cards")?))
        }
    })
    .await?;
    for (b, l, id) in made {
        if let Some(board) = out.get_mut(b) {
            board.cards.push((id, l));
        }
    }
    Ok(out)
}

/// Tags through `POST /workspaces/{ws}/tags`; with SQL (as the owner) when
/// the endpoint is not there. Returns (ids, made with SQL).
async fn make_tags(
    api: &Api,
    su: &PgPool,
    ws: &Ws,
    admin: &str,
) -> anyhow::Result<(Vec<Uuid>, bool)> {
    let mut ids = Vec::new();
    for k in 0..TAGS {
        let (s, v) = api
            .call(
                Method::POST,
                &format!("/workspaces/{}/tags", ws.slug),
                Some(admin),
                Some(&json!({ "name": format!("tag-{}", k + 1) })),
            )
            .await?;
        match s {
            200..=299 => ids.push(id_of(&v, "POST tags")?),
            404 | 405 if k == 0 => {
                let mut ids = Vec::new();
                for k in 0..TAGS {
                    let id = Uuid::now_v7();
                    let mut tx = su.begin().await?;
                    // History needs an actor for every change.
                    sqlx::query("SET LOCAL tarello.actor_kind = 'system'")
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(&format!(
                        "INSERT INTO {}.tag (tag_id, name, created_at) VALUES ($1, $2, now())",
                        ws.schema()
                    ))
                    .bind(id)
                    .bind(format!("tag-{}", k + 1))
                    .execute(&mut *tx)
                    .await
                    .context("inserting tags")?;
                    tx.commit().await?;
                    ids.push(id);
                }
                return Ok((ids, true));
            }
            _ => bail!("POST /workspaces/{}/tags: {s} {v}", ws.slug),
        }
    }
    Ok((ids, false))
}

/// `SEED_COMMENTS` comments on every card of the workspace, with SQL, by
/// its people in turn.
async fn seed_comments(su: &PgPool, ws: &Ws) -> anyhow::Result<()> {
    let authors: Vec<Uuid> = ws.people.iter().take(4).map(|p| p.user_id).collect();
    let mut tx = su.begin().await?;
    // History needs an actor for every change.
    sqlx::query("SET LOCAL tarello.actor_kind = 'system'")
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO {s}.comment (comment_id, card_id, author_id, body, created_at) \
         SELECT gen_random_uuid(), c.card_id, ($1::uuid[])[1 + ((row_number() OVER () + i) % cardinality($1::uuid[]))::int], \
                'Seeded comment ' || i || ': a sentence or two of discussion on this card.', now() \
         FROM {s}.card c, generate_series(1, $2) i",
        s = ws.schema()
    ))
    .bind(&authors)
    .bind(i32::try_from(SEED_COMMENTS)?)
    .execute(&mut *tx)
    .await
    .context("seeding comments")?;
    tx.commit().await?;
    Ok(())
}

pub async fn seed(
    api: &Api,
    srv: &Arc<Server>,
    su: &PgPool,
    workspaces: usize,
    big_cards: usize,
) -> anyhow::Result<Seeded> {
    eprintln!(
        "signing up {} people ({} workspaces × {})",
        workspaces * ROLES.len(),
        workspaces,
        ROLES.len()
    );
    let emails: Vec<String> = (0..workspaces)
        .flat_map(|w| (0..ROLES.len()).map(move |r| format!("mix{w:03}-{r}@bench.example")))
        .collect();
    let (api2, srv2) = (api.clone(), Arc::clone(srv));
    let accounts = par_map(SIGNUP_PARALLEL, emails.clone(), move |email| {
        person(api2.clone(), Arc::clone(&srv2), email)
    })
    .await?;
    let ids: Vec<(String, Uuid)> =
        sqlx::query_as("SELECT email, user_id FROM control.user_account WHERE email = ANY($1)")
            .bind(&emails)
            .fetch_all(su)
            .await?;
    let user_id = |email: &str| {
        ids.iter()
            .find(|(e, _)| e == email)
            .map(|(_, id)| *id)
            .with_context(|| format!("no user row for {email}"))
    };

    eprintln!("creating {workspaces} workspaces, adding members");
    let mut wss = Vec::new();
    for w in 0..workspaces {
        let mut people = Vec::new();
        for (r, role) in ROLES.iter().enumerate() {
            let i = w * ROLES.len() + r;
            let email = emails.get(i).context("email")?.clone();
            people.push(Person {
                user_id: user_id(&email)?,
                email,
                role,
                account: accounts.get(i).context("account token")?.clone(),
            });
        }
        let slug = format!("mix-{w:03}");
        let admin = people.first().context("admin")?;
        let id = create_workspace(api, admin, &slug).await?;
        for p in people.iter().skip(1) {
            add_member(su, id, p.user_id, p.role).await?;
        }
        wss.push(Ws {
            slug,
            id,
            people,
            boards: Vec::new(),
            tags: Vec::new(),
        });
    }

    let cards = workspaces * BOARDS * LISTS * CARDS_PER_LIST;
    eprintln!("creating boards, lists and {cards} cards through the API");
    let mut tags_via_sql = false;
    for ws in &mut wss {
        let tokens = workspace_tokens(api, &ws.slug, &ws.people).await?;
        ws.boards = fill_boards(
            api,
            &ws.slug,
            &tokens,
            BOARDS,
            LISTS,
            CARDS_PER_LIST,
            "Board",
        )
        .await?;
        let admin = tokens.first().context("admin token")?;
        let (tags, via_sql) = make_tags(api, su, ws, admin).await?;
        ws.tags = tags;
        tags_via_sql |= via_sql;
        seed_comments(su, ws).await?;
    }

    let big = if big_cards > 0 {
        eprintln!("creating the big board: {big_cards} cards on {BIG_LISTS} lists");
        let first = wss.first().context("no workspace")?;
        let admin = first.people.first().context("admin")?.clone();
        let slug = "mix-big".to_owned();
        let id = create_workspace(api, &admin, &slug).await?;
        let tokens = workspace_tokens(api, &slug, std::slice::from_ref(&admin)).await?;
        let boards = fill_boards(
            api,
            &slug,
            &tokens,
            1,
            BIG_LISTS,
            big_cards.div_ceil(BIG_LISTS),
            "Big board",
        )
        .await?;
        Some(Ws {
            slug,
            id,
            people: vec![admin],
            boards,
            tags: Vec::new(),
        })
    } else {
        None
    };
    sqlx::query("ANALYZE").execute(su).await?;
    Ok(Seeded {
        workspaces: wss,
        big,
        tags_via_sql,
    })
}

/// As `crates/tarello/tests/blackbox/flows.rs::add_member`: `changed_at`
/// on a whole second, so a token issued in that second is accepted.
async fn add_member(su: &PgPool, ws: Uuid, user: Uuid, role: &str) -> anyhow::Result<()> {
    // Membership changes are audited: the transaction names its actor.
    let mut tx = su.begin().await?;
    sqlx::query("SET LOCAL tarello.actor_kind = 'system'")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO control.membership (workspace_id, user_id, role, active, created_at, changed_at) \
         VALUES ($1, $2, $3, true, now(), date_trunc('second', now()))",
    )
    .bind(ws)
    .bind(user)
    .bind(role)
    .execute(&mut *tx)
    .await
    .context("adding a member")?;
    tx.commit().await?;
    Ok(())
}
