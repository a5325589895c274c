//! A board with 5,000 cards loads in one request with card summaries.
//! (Timing is printed, not asserted: figures belong to `bench/`.)

use std::time::Instant;

use reqwest::Method;
use serde_json::Value;
use tarello_domain::rank;

use crate::personas::world;

#[tokio::test]
async fn a_five_thousand_card_board_loads_in_one_request() {
    let w = world().await;
    let board = w.board("Big", "workspace").await;
    let lists = [
        w.list(&board, "One").await,
        w.list(&board, "Two").await,
        w.list(&board, "Three").await,
        w.list(&board, "Four").await,
    ];
    // Seed directly: 1,250 cards per list with increasing rank keys.
    let mut su = w.r.tdb.superuser().await;
    let schema = crate::flows::schema_of(&mut su, "acme").await;
    let mut keys = Vec::with_capacity(1250);
    let mut last: Option<String> = None;
    for _ in 0..1250 {
        let k = rank::between(last.as_deref(), None).unwrap();
        keys.push(k.clone());
        last = Some(k);
    }
    // Raw SQL needs an actor like every change (the history records it).
    sqlx::query("SET tarello.actor_kind = 'system'")
        .execute(&mut su)
        .await
        .unwrap();
    for list in &lists {
        sqlx::query(&format!(
            "INSERT INTO {schema}.card (card_id, board_id, list_id, title, position, created_at, updated_at) \
             SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'Card ' || k.n, k.key, now(), now() \
             FROM unnest($3::text[]) WITH ORDINALITY AS k(key, n)"
        ))
        .bind(&board)
        .bind(list)
        .bind(&keys)
        .execute(&mut su)
        .await
        .unwrap();
    }
    let started = Instant::now();
    let (s, view) = w
        .call(
            Method::GET,
            &format!("/workspaces/acme/boards/{board}"),
            &w.member,
            None,
        )
        .await;
    let took = started.elapsed();
    assert_eq!(s, 200);
    let cards: usize = view["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["cards"].as_array().unwrap().len())
        .sum();
    assert_eq!(cards, 5000);
    // In rank order within each list.
    let first: Vec<&Value> = view["lists"][0]["cards"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .collect();
    assert_eq!(first[0]["title"], "Card 1");
    assert_eq!(first[2]["title"], "Card 3");
    eprintln!(
        "5,000-card board: {} bytes in {:?} (debug build, shared machine)",
        view.to_string().len(),
        took
    );
}
