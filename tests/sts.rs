//! Role profiles against a local STS: moto for the happy paths, our stub for faults,
//! throttling, hangs, the cache and MFA sessions.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::stub::{Behaviour, SECRET_MARK, Stub};

/// One raw POST to the stub: the status line and the body.
fn post(stub: &Stub, form: &str) -> (String, String) {
    let addr = stub.endpoint().trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    (head.to_owned(), body.to_owned())
}

#[test]
fn stub_answers_counts_and_varies_keys() {
    let stub = Stub::start(Behaviour::Ok);
    let (head, first) = post(&stub, "Action=AssumeRole&Version=2011-06-15");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("Date: "), "{head}");
    assert!(first.contains("<AssumeRoleResult>") && first.contains(SECRET_MARK));
    let (_, second) = post(&stub, "Action=AssumeRole&Version=2011-06-15");
    assert_ne!(first, second);
    post(&stub, "Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(stub.count("AssumeRole"), 2);
    assert_eq!(stub.count("GetCallerIdentity"), 1);
}

#[test]
fn stub_errors_and_throttles() {
    let stub = Stub::start(Behaviour::error("AccessDenied"));
    let (head, body) = post(&stub, "Action=AssumeRole");
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    let stub = Stub::start(Behaviour::ThrottleThenOk(1));
    assert!(post(&stub, "Action=AssumeRole").1.contains("Throttling"));
    assert!(
        post(&stub, "Action=AssumeRole")
            .0
            .starts_with("HTTP/1.1 200")
    );
}
