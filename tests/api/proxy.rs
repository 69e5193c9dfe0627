//! Webhook deliveries never go through an environment proxy: a proxy set in `HTTP_PROXY` and
//! friends would see every payload and could reach targets the address checks refuse.

use crate::helpers::*;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A TCP listener that counts connections and answers each with a 502, like a proxy that
/// cannot reach anything.
async fn counting_listener(status: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 16 * 1024];
                let _ = conn.read(&mut buf).await;
                let answer =
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = conn.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("127.0.0.1:{}", addr.port()), seen)
}

#[tokio::test]
async fn deliveries_ignore_proxies_set_in_the_environment() {
    let (proxy, via_proxy) = counting_listener("502 Bad Gateway").await;
    let (receiver, direct) = counting_listener("204 No Content").await;
    let proxy_url = format!("http://{proxy}");
    let app = TestApp::spawn_binary_with(Backend::Sqlite, |cmd| {
        for var in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            cmd.env(var, &proxy_url);
        }
        cmd.env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env("SUITEPLAN__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true");
    })
    .await;
    app.post(
        "/v1/webhooks",
        &app.admin_key,
        json!({"url": format!("http://{receiver}/hook"), "events": ["*"]}),
    )
    .await
    .expect(201);
    let w = crate::bookings::world(&app, 1).await;
    let hold = crate::bookings::booking(&w, Some(1), "2030-03-01", "2030-03-15", "held");
    app.post("/v1/bookings", &w.planner_key, hold)
        .await
        .expect(201);
    for _ in 0..200 {
        if direct.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        direct.load(Ordering::SeqCst) > 0,
        "no delivery reached the receiver"
    );
    assert_eq!(
        via_proxy.load(Ordering::SeqCst),
        0,
        "a delivery went through the proxy"
    );
}
