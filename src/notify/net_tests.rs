use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn guarded() -> Guard {
    Guard::new(false)
}

#[test]
fn a_request_cannot_start_at_a_private_ip_literal() {
    for target in [
        "http://127.0.0.1:9/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://0x7f.1/",
        "http://[::ffff:10.0.0.1]/",
    ] {
        assert!(
            matches!(
                guarded().check_start(&url(target)),
                Err(Refused::Address(_))
            ),
            "{target}"
        );
        assert_eq!(
            Guard::new(true).check_start(&url(target)),
            Ok(()),
            "{target}"
        );
    }
    assert_eq!(guarded().check_start(&url("https://example.com/x")), Ok(()));
    assert_eq!(guarded().check_start(&url("http://8.8.8.8/x")), Ok(()));
}

#[test]
fn a_refused_address_reads_as_healthchecks_words_it() {
    let refused = guarded().check_start(&url("http://10.1.2.3/")).unwrap_err();
    assert_eq!(refused.to_string(), PRIVATE_TARGET);
}

#[test]
fn an_exemption_covers_one_address_and_port_only() {
    let guard = guarded().exempting("127.0.0.1:4000".parse().unwrap());
    assert_eq!(
        guard.check_start(&url("http://127.0.0.1:4000/hook")),
        Ok(())
    );
    assert!(
        guard
            .check_start(&url("http://127.0.0.1:4001/hook"))
            .is_err()
    );
    assert!(
        guard
            .check_start(&url("http://127.0.0.2:4000/hook"))
            .is_err()
    );
    assert!(
        guard.check_redirect(&url("http://127.0.0.1/"), 1).is_err(),
        "port 80 is another port"
    );
}

#[test]
fn a_redirect_to_a_private_ip_literal_is_not_followed() {
    for target in [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8000/",
        "http://[::1]/",
        "http://2852039166/",
        "https://[64:ff9b::a00:1]/",
        "http://0.0.0.0:22/",
    ] {
        match guarded().check_redirect(&url(target), 1) {
            Err(RedirectRefused::Private(Refused::Redirect(ip))) => {
                assert!(is_private(ip), "{target}");
                assert!(
                    Refused::Redirect(ip)
                        .to_string()
                        .starts_with(PRIVATE_TARGET),
                    "{target}"
                );
            }
            other => panic!("{target}: {other:?}"),
        }
    }
}

#[test]
fn a_redirect_to_a_public_address_or_a_name_is_followed() {
    // Names are checked by the resolver when the hop connects.
    for target in [
        "https://93.184.215.14/",
        "https://example.com/",
        "http://localhost/",
    ] {
        assert!(
            guarded().check_redirect(&url(target), 1).is_ok(),
            "{target}"
        );
    }
}

#[test]
fn redirects_to_private_addresses_are_followed_when_the_operator_allows_them() {
    let open = Guard::new(true);
    assert!(open.check_redirect(&url("http://10.0.0.1/"), 1).is_ok());
    assert!(open.check_redirect(&url("http://10.0.0.1/"), 3).is_ok());
}

#[test]
fn at_most_three_redirects_are_followed() {
    for guard in [guarded(), Guard::new(true)] {
        let next = url("https://example.com/");
        // `requested` counts the first URL: three redirects followed means three or fewer.
        for requested in 1..=MAX_REDIRECTS {
            assert!(guard.check_redirect(&next, requested).is_ok());
        }
        assert!(matches!(
            guard.check_redirect(&next, MAX_REDIRECTS + 1),
            Err(RedirectRefused::TooMany(_))
        ));
    }
}

#[test]
fn a_name_is_refused_only_when_every_address_is_private() {
    let ips = |list: &[&str]| {
        list.iter()
            .map(|s| s.parse().unwrap())
            .collect::<Vec<IpAddr>>()
    };
    assert_eq!(
        name_verdict("localhost", &ips(&["127.0.0.1", "::1"])),
        Err(Refused::Name("localhost".into()))
    );
    assert_eq!(
        name_verdict("mixed.example", &ips(&["10.0.0.1", "8.8.8.8"])),
        Ok(())
    );
    assert_eq!(name_verdict("public.example", &ips(&["8.8.8.8"])), Ok(()));
    assert_eq!(name_verdict("nothing.example", &[]), Ok(()));
    assert!(
        Refused::Name("intranet.example".into())
            .to_string()
            .contains("intranet.example resolves only to private addresses")
    );
}

#[test]
fn the_client_refuses_a_private_start_itself() {
    let client = Client::new(Duration::from_secs(1), guarded()).unwrap();
    assert!(client.post(url("http://192.168.0.1/")).is_err());
    assert!(client.post(url("https://example.com/")).is_ok());
    let open = Client::new(Duration::from_secs(1), Guard::new(true)).unwrap();
    assert!(open.post(url("http://192.168.0.1/")).is_ok());
}

#[test]
fn a_client_that_cannot_be_built_is_an_error_not_a_default_client() {
    install_crypto_provider();
    // No TLS version is left to speak: building fails, as it would if TLS could not start.
    let broken = reqwest::Client::builder().tls_version_max(reqwest::tls::Version::TLS_1_0);
    let error = Client::from_builder(broken, Duration::from_secs(1), guarded()).unwrap_err();
    assert!(
        format!("{error:#}").contains("HTTP client for notifications could not be built"),
        "{error:#}"
    );
}

fn response(body: Vec<u8>) -> Response {
    Response::from(axum::http::Response::new(body))
}

#[tokio::test]
async fn a_reply_is_read_up_to_the_cap_and_no_further() {
    let small = read_capped(response(b"{\"errcode\":0}".to_vec()), 64)
        .await
        .unwrap();
    assert_eq!(
        (small.bytes.as_slice(), small.truncated),
        (&b"{\"errcode\":0}"[..], false)
    );

    let exact = read_capped(response(vec![b'x'; 64]), 64).await.unwrap();
    assert_eq!((exact.bytes.len(), exact.truncated), (64, false));

    let large = read_capped(response(vec![b'x'; 65]), 64).await.unwrap();
    assert_eq!((large.bytes.len(), large.truncated), (64, true));
}
