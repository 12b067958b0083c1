//! The crawler against recorded pages of both layouts served on loopback, landing on local
//! disk: hostile titles survive byte for byte, and every fault publishes nothing for the hour.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use provision::crawl::layout::{self, Layout};
use provision::dataset::record;

use crate::pages::{Fault, Site};
use crate::support::{Inventory, bin, root};

fn expected_titles() -> BTreeMap<String, String> {
    serde_json::from_str(&std::fs::read_to_string(root().join("pages/expected-titles.json")).unwrap()).unwrap()
}

#[test]
fn both_layouts_are_recognised_with_every_title_as_the_page_means_it() {
    let expected = expected_titles();
    for (dir, layout) in [("mobile2021", Layout::Mobile2021), ("next2024", Layout::Next2024)] {
        for i in 1..=12 {
            let code = format!("G{i:02}");
            let html = std::fs::read_to_string(root().join(format!("pages/{dir}/{code}.html"))).unwrap();
            let (found, items) = layout::parse(&html).unwrap();
            assert_eq!(found, layout);
            layout::check(&items, 100).unwrap_or_else(|e| panic!("{dir}/{code}: {e}"));
            for it in &items {
                assert_eq!(&it.title, &expected[&format!("{dir}/{code}/{}", it.rank)], "{dir}/{code} rank {}", it.rank);
                assert!(layout::price_won(&it.price).is_some(), "{}", it.price);
            }
        }
    }
}

#[test]
fn a_page_in_no_known_layout_says_so() {
    let err =
        layout::parse("<html><head><title>점검 중</title></head><body><div class=\"maintenance\"></div></body></html>")
            .unwrap_err();
    assert!(err.contains("no known layout") && err.contains("점검 중"), "{err}");
}

fn inventory(dir: &Path, layout: &str) -> std::path::PathBuf {
    let mut text = Inventory::of("inventory/cluster.toml").set("cluster.state_dir", "state").text();
    if layout == "next2024" {
        for (i, category) in (1..).zip(provision::model::original_categories()) {
            text.push_str(&format!(
                "\n[[categories]]\ncode = \"G{i:02}\"\nname = \"{}\"\nurl = \"https://www.gmarket.co.kr/n/best?groupCode=1000000{i:02}\"\n",
                category.name
            ));
        }
    }
    let path = dir.join(format!("{layout}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// The rows landed under `out` for the hour folder `hour` (`YYYY/MM/DD/HH`).
fn landed(out: &Path, hour: &str) -> Vec<record::Row> {
    record::from_csv(&std::fs::read(out.join(format!("user/source_data/{hour}/gmarket.csv"))).unwrap()).unwrap()
}

fn crawl(inv: &Path, site: &Site, out: &Path, hour: &str) -> (i32, String) {
    let o = bin()
        .args(["crawl", "--source", &site.base, "--at", hour, "--out"])
        .arg(out)
        .arg("-i")
        .arg(inv)
        .output()
        .unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn a_crawl_lands_every_row_and_title_byte_for_byte_in_both_layouts() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let expected = expected_titles();
    for layout in ["mobile2021", "next2024"] {
        let inv = inventory(dir.path(), layout);
        let out = dir.path().join(layout);
        let (code, err) = crawl(&inv, &site, &out, "2021-03-24T19");
        assert_eq!(code, 0, "{err}");
        let file = out.join("user/source_data/2021/03/24/19/gmarket.csv");
        let bytes = std::fs::read(&file).unwrap();
        assert!(bytes.starts_with(b"rank,title,price,url,img,category,title_xpath,img_xpath,price_xpath,"));
        let rows = record::from_csv(&bytes).unwrap();
        assert_eq!(rows.len(), 1200);
        for r in &rows {
            assert_eq!(&r.title, &expected[&format!("{layout}/{}/{}", r.category_code, r.rank)]);
            assert_eq!(r.collected_at, "2021-03-24T19");
        }
        let names: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.category.as_str()).collect();
        assert_eq!(names.len(), 12);
        let leftovers: Vec<_> =
            std::fs::read_dir(file.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
    }
}

#[test]
fn a_503_then_success_is_retried() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "mobile2021");
    site.fault("/Best/Category?code=G05", Fault::Unavailable(2));
    let (code, err) = crawl(&inv, &site, &dir.path().join("out"), "2021-03-24T20");
    assert_eq!(code, 0, "{err}");
    assert_eq!(site.hits.lock().unwrap()["/Best/Category?code=G05"], 3);
}

fn assert_nothing_published(out: &Path, err: &str, code: i32, category: &str, what: &str) {
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nothing was published"), "{err}");
    assert!(err.contains(category) && err.contains(what), "{err}");
    assert!(!out.exists(), "something was landed: {}", out.display());
}

#[test]
fn a_category_that_keeps_timing_out_publishes_nothing() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "mobile2021");
    site.fault("/Best/Category?code=G07", Fault::Slow(Duration::from_secs(120)));
    let out = dir.path().join("out");
    let o = bin()
        .args(["crawl", "--source", &site.base, "--at", "2021-03-24T21", "--out"])
        .arg(&out)
        .arg("-i")
        .arg(&inv)
        .env("PROVISION_FETCH_TIMEOUT_SECS", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_nothing_published(&out, &err, o.status.code().unwrap(), "G07 식품", "no answer within 1s");
    assert!(err.contains(&format!("{}/Best/Category?code=G07", site.base)), "{err}");
}

#[test]
fn a_truncated_page_publishes_nothing() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "mobile2021");
    site.fault("/Best/Category?code=G02", Fault::Truncated);
    let out = dir.path().join("out");
    let (code, err) = crawl(&inv, &site, &out, "2021-03-24T22");
    assert_nothing_published(&out, &err, code, "G02 신발잡화", "items where 100 were expected");
}

#[test]
fn a_changed_layout_publishes_nothing_and_says_which_page() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "mobile2021");
    let html = std::fs::read_to_string(root().join("pages/mobile2021/G11.html"))
        .unwrap()
        .replace("id=\"selected", "id=\"item");
    site.fault("/Best/Category?code=G11", Fault::Body(html));
    let out = dir.path().join("out");
    let (code, err) = crawl(&inv, &site, &out, "2021-03-24T23");
    assert_nothing_published(&out, &err, code, "G11 여행", "no known layout");
}

#[test]
fn stated_ranks_that_disagree_with_positions_publish_nothing_naming_the_first() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "next2024");
    let rank = |n: u32| format!("<span class=\"box__label-rank\">{n}</span>");
    let html = std::fs::read_to_string(root().join("pages/next2024/G03.html"))
        .unwrap()
        .replace(&rank(5), "@five@")
        .replace(&rank(6), &rank(5))
        .replace("@five@", &rank(6));
    site.fault("/n/best?groupCode=100000003", Fault::Body(html));
    let out = dir.path().join("out");
    let (code, err) = crawl(&inv, &site, &out, "2021-03-25T00");
    assert_nothing_published(&out, &err, code, "G03 화장품헤어", "position 5 of the list states rank \"6\"");
}

#[test]
fn an_ad_item_before_the_best_list_is_not_ranked() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "mobile2021");
    let ad = "<div class=\"box__ad\"><ul><li id=\"selectedAd\"><a href=\"http://mitem.gmarket.co.kr/Item?goodsCode=1\"><img data-original=\"http://gdimg.gmarket.co.kr/1/still/300\"><strong>광고 상품</strong><em>9,900원</em></a></li></ul></div>";
    let html = std::fs::read_to_string(root().join("pages/mobile2021/G09.html"))
        .unwrap()
        .replace("<div class=\"best-list\">", &format!("{ad}<div class=\"best-list\">"));
    assert!(html.contains("selectedAd"));
    site.fault("/Best/Category?code=G09", Fault::Body(html));
    let out = dir.path().join("out");
    let (code, err) = crawl(&inv, &site, &out, "2021-03-25T01");
    assert_eq!(code, 0, "{err}");
    let rows = landed(&out, "2021/03/25/01");
    let expected = expected_titles();
    let g09: Vec<_> = rows.iter().filter(|r| r.category_code == "G09").collect();
    assert_eq!(g09.len(), 100);
    for r in g09 {
        assert_eq!(&r.title, &expected[&format!("mobile2021/G09/{}", r.rank)]);
    }
}

/// The line of a failed crawl's message about category `code`.
fn failure<'a>(err: &'a str, code: &str) -> &'a str {
    err.lines()
        .map(str::trim)
        .find(|l| l.starts_with(&format!("{code} ")))
        .unwrap_or_else(|| panic!("no {code}: {err}"))
}

/// A 2021 mobile page in EUC-KR, its `<meta charset="utf-8">` replaced by `meta`; characters
/// EUC-KR lacks (emoji) become character references, which read back as the same text.
fn euc_kr_page(code: &str, meta: &str) -> Vec<u8> {
    let html = std::fs::read_to_string(root().join(format!("pages/mobile2021/{code}.html"))).unwrap();
    assert!(html.contains("<meta charset=\"utf-8\">"));
    let html = html.replace("<meta charset=\"utf-8\">", meta);
    let (bytes, _, _) = encoding_rs::EUC_KR.encode(&html);
    assert!(std::str::from_utf8(&bytes).is_err(), "{code} has no Korean to encode");
    bytes.into_owned()
}

fn raw(content_type: &str, body: Vec<u8>) -> Fault {
    Fault::Raw { content_type: Some(content_type.to_string()), body }
}

#[test]
fn euc_kr_pages_land_the_same_rows_as_utf8_whichever_way_they_declare_it() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "mobile2021");
    let declared = [
        ("G03", "text/html; charset=EUC-KR", ""),
        ("G04", "text/html", "<meta charset=\"euc-kr\">"),
        ("G06", "text/html", "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-kr\">"),
        // The header outranks what the page says of itself.
        ("G08", "text/html; charset=\"euc-kr\"", "<meta charset=\"utf-8\">"),
    ];
    for (code, content_type, meta) in declared {
        site.fault(&format!("/Best/Category?code={code}"), raw(content_type, euc_kr_page(code, meta)));
    }
    let out = dir.path().join("out");
    let (code, err) = crawl(&inv, &site, &out, "2021-03-25T02");
    assert_eq!(code, 0, "{err}");
    let rows = landed(&out, "2021/03/25/02");
    assert_eq!(rows.len(), 1200);
    let expected = expected_titles();
    for (code, _, _) in declared {
        let html = std::fs::read_to_string(root().join(format!("pages/mobile2021/{code}.html"))).unwrap();
        let (_, items) = layout::parse(&html).unwrap();
        let got: Vec<_> = rows.iter().filter(|r| r.category_code == code).collect();
        assert_eq!(got.len(), 100, "{code}");
        for (r, it) in got.into_iter().zip(&items) {
            assert!(!r.title.contains('\u{fffd}') && !r.price.contains('\u{fffd}'), "{code}: {r:?}");
            assert_eq!(&r.title, &expected[&format!("mobile2021/{code}/{}", r.rank)], "{code}");
            assert_eq!((r.rank, &r.title, &r.price, &r.url, &r.img), (it.rank, &it.title, &it.price, &it.url, &it.img));
            assert!(r.price_won.is_some(), "{code}: {r:?}");
        }
    }
}

#[test]
fn an_unknown_charset_or_bytes_invalid_in_the_declared_one_publish_nothing() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "mobile2021");
    let utf8 = std::fs::read(root().join("pages/mobile2021/G05.html")).unwrap();
    site.fault("/Best/Category?code=G05", raw("text/html; charset=x-klingon", utf8));
    site.fault("/Best/Category?code=G10", raw("text/html; charset=utf-8", euc_kr_page("G10", "")));
    let out = dir.path().join("out");
    let (code, err) = crawl(&inv, &site, &out, "2021-03-25T03");
    assert_nothing_published(&out, &err, code, "G05", "\"x-klingon\"");
    assert!(failure(&err, "G05").contains("no known encoding"), "{err}");
    let g10 = failure(&err, "G10");
    assert!(g10.contains("not valid UTF-8") && g10.contains("charset=utf-8"), "{err}");
    assert!(err.contains("2 of 12 categories failed"), "{err}");
}

#[test]
fn a_redirect_within_the_host_is_followed() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "mobile2021");
    site.fault("/Best/Category?code=G05", Fault::Redirect("/Best/Category?code=G05&moved=1".into()));
    let (code, err) = crawl(&inv, &site, &dir.path().join("out"), "2021-03-25T04");
    assert_eq!(code, 0, "{err}");
    assert_eq!(site.hits.lock().unwrap()["/Best/Category?code=G05&moved=1"], 1);
}

#[test]
fn a_redirect_to_another_host_publishes_nothing_and_names_both() {
    let site = Site::start();
    let elsewhere = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "mobile2021");
    site.fault("/Best/Category?code=G05", Fault::Redirect(format!("{}/Best/Category?code=G05", elsewhere.base)));
    let out = dir.path().join("out");
    let (code, err) = crawl(&inv, &site, &out, "2021-03-25T05");
    let what = format!("redirected from {} to {}", site.base, elsewhere.base);
    assert_nothing_published(&out, &err, code, "G05", &what);
    assert!(elsewhere.hits.lock().unwrap().is_empty(), "the other host was asked");
}

#[test]
fn a_429_is_retried_after_the_time_it_asks_for() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "mobile2021");
    site.fault("/Best/Category?code=G05", Fault::TooMany { times: 1, retry_after: "2".into() });
    let past = "Wed, 21 Oct 2015 07:28:00 GMT".to_string();
    site.fault("/Best/Category?code=G06", Fault::TooMany { times: 2, retry_after: past });
    let started = std::time::Instant::now();
    let (code, err) = crawl(&inv, &site, &dir.path().join("out"), "2021-03-25T06");
    assert_eq!(code, 0, "{err}");
    assert!(started.elapsed() >= Duration::from_secs(2), "Retry-After not waited for");
    let hits = site.hits.lock().unwrap();
    assert_eq!((hits["/Best/Category?code=G05"], hits["/Best/Category?code=G06"]), (2, 3));
}

#[test]
fn a_429_asking_for_more_than_the_budget_publishes_nothing_at_once() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path(), "mobile2021");
    site.fault("/Best/Category?code=G02", Fault::TooMany { times: 1, retry_after: "3600".into() });
    let future = "Fri, 01 Jan 2100 00:00:00 GMT".to_string();
    site.fault("/Best/Category?code=G04", Fault::TooMany { times: 1, retry_after: future });
    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    let (code, err) = crawl(&inv, &site, &out, "2021-03-25T07");
    assert!(started.elapsed() < Duration::from_secs(30), "waited for it");
    assert_nothing_published(&out, &err, code, "G02 신발잡화", "HTTP 429 Too Many Requests with Retry-After 3600s");
    for code in ["G02", "G04"] {
        assert!(failure(&err, code).contains("of the page's budget (4 attempts of 15s each)"), "{err}");
    }
    let hits = site.hits.lock().unwrap();
    assert_eq!((hits["/Best/Category?code=G02"], hits["/Best/Category?code=G04"]), (1, 1));
}
