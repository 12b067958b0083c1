//! Gmarket's best-100 page layouts: which one a page is in, and its ranked items. A page in no
//! known layout is an error that says so; nothing is guessed.

use scraper::{ElementRef, Html, Selector};

/// The page layouts `provision` recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The 2021 mobile page (`mobile.gmarket.co.kr/Best/Category?code=G01`), the original's.
    Mobile2021,
    /// The 2024 Next.js page (`www.gmarket.co.kr/n/best?groupCode=...`).
    Next2024,
}

impl Layout {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Mobile2021 => "2021 mobile",
            Layout::Next2024 => "2024 Next.js",
        }
    }
}

/// One ranked item as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Its rank, 1 to 100.
    pub rank: u32,
    /// The title, HTML whitespace collapsed, everything else as the page has it.
    pub title: String,
    /// The price as the page's text, e.g. `12,900원`.
    pub price: String,
    /// The item's page.
    pub url: String,
    /// Its image.
    pub img: String,
    /// Where the title was found, or `N/A`.
    pub title_xpath: String,
    /// Where the image was found, or `N/A`.
    pub img_xpath: String,
    /// Where the price was found, or `N/A`.
    pub price_xpath: String,
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("a valid selector")
}

/// Text of an element with runs of HTML whitespace (space, tab, LF, FF, CR) collapsed to one
/// space and trimmed; every other character, a no-break space included, is kept.
pub fn collapse(text: &str) -> String {
    text.split([' ', '\t', '\n', '\u{c}', '\r']).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
}

fn text_of(e: ElementRef<'_>) -> String {
    collapse(&e.text().collect::<String>())
}

/// The 2021 mobile page's ranked items: only those inside its best list, so that an ad item with
/// the same `selected` id outside the list is not taken for one.
const MOBILE2021_ITEMS: &str = "ul.best-list__items > li[id^=\"selected\"] > a";

/// Which layout `doc` is in.
pub fn recognise(doc: &Html) -> Option<Layout> {
    if doc.select(&sel(MOBILE2021_ITEMS)).next().is_some() {
        Some(Layout::Mobile2021)
    } else if doc.select(&sel("ul.list__best > li.list-item")).next().is_some() {
        Some(Layout::Next2024)
    } else {
        None
    }
}

/// The layout of `html` and its items, or why none could be read.
pub fn parse(html: &str) -> Result<(Layout, Vec<Item>), String> {
    let doc = Html::parse_document(html);
    let Some(layout) = recognise(&doc) else {
        let title = doc.select(&sel("title")).next().map(text_of).unwrap_or_default();
        return Err(format!(
            "the page is in no known layout (neither the 2021 mobile `{MOBILE2021_ITEMS}` nor the 2024 `ul.list__best > li.list-item`); its title is {title:?}"
        ));
    };
    let items = match layout {
        Layout::Mobile2021 => mobile2021(&doc)?,
        Layout::Next2024 => next2024(&doc)?,
    };
    Ok((layout, items))
}

/// The rank of the item at `position` (1-based) of the list, whose page states `stated` in
/// `what`: it must be that position, or the page is refused.
fn stated_rank(position: usize, stated: &str, what: &str) -> Result<u32, String> {
    match stated.parse::<u32>() {
        Ok(rank) if rank as usize == position => Ok(rank),
        _ => Err(format!(
            "the item at position {position} of the list states rank {stated:?} (`{what}`); the stated ranks must follow the list's order"
        )),
    }
}

fn mobile2021(doc: &Html) -> Result<Vec<Item>, String> {
    let (strong, em, img, label) = (sel("strong"), sel("em"), sel("img"), sel("span.rank"));
    let mut out = Vec::new();
    for (i, a) in doc.select(&sel(MOBILE2021_ITEMS)).enumerate() {
        let position = i + 1;
        let rank = match a.select(&label).next() {
            Some(stated) => stated_rank(position, &text_of(stated), "span.rank")?,
            None => position as u32,
        };
        let id = a.parent().and_then(ElementRef::wrap).and_then(|li| li.value().id()).unwrap_or("").to_string();
        let at = |tag: &str, found: bool| if found { format!("//li[@id='{id}']/a/{tag}") } else { "N/A".to_string() };
        let title = a.select(&strong).next();
        let price = a.select(&em).next();
        let image = a.select(&img).next();
        out.push(Item {
            rank,
            title: title.map(text_of).unwrap_or_default(),
            price: price.map(text_of).unwrap_or_default(),
            url: a.value().attr("href").unwrap_or("").trim().to_string(),
            img: image
                .and_then(|e| e.value().attr("data-original").or(e.value().attr("src")))
                .unwrap_or("")
                .trim()
                .to_string(),
            title_xpath: at("strong", title.is_some()),
            img_xpath: at("img", image.is_some()),
            price_xpath: at("em", price.is_some()),
        });
    }
    Ok(out)
}

fn next2024(doc: &Html) -> Result<Vec<Item>, String> {
    let (link, rank, title, price, img) = (
        sel("a.link[data-montelena-goodscode]"),
        sel("span.box__label-rank"),
        sel("p.box__item-title"),
        sel(".box__price-seller .text__value"),
        sel("img"),
    );
    let mut out = Vec::new();
    for (i, li) in doc.select(&sel("ul.list__best > li.list-item")).enumerate() {
        let class = li.value().attr("class").unwrap_or("");
        if class.contains("list-item--banner") || class.contains("list-item--relation") {
            continue;
        }
        let Some(a) = li.select(&link).next() else { continue };
        let n = i + 1;
        let at = |what: &str, found: bool| {
            if found { format!("//ul[contains(@class,'list__best')]/li[{n}]//{what}") } else { "N/A".to_string() }
        };
        let rank_text = li.select(&rank).next().map(text_of).unwrap_or_default();
        if rank_text.is_empty() {
            return Err(format!("item {n} has no rank (`span.box__label-rank` is missing or empty)"));
        }
        let rank = stated_rank(out.len() + 1, &rank_text, "span.box__label-rank")?;
        let t = li.select(&title).next();
        let p = li.select(&price).next();
        let image = li.select(&img).next();
        out.push(Item {
            rank,
            title: t.map(text_of).unwrap_or_default(),
            price: p.map(text_of).unwrap_or_default(),
            url: a.value().attr("href").unwrap_or("").trim().to_string(),
            img: image
                .and_then(|e| e.value().attr("src").or(e.value().attr("data-src")))
                .unwrap_or("")
                .trim()
                .to_string(),
            title_xpath: at("p[contains(@class,'box__item-title')]", t.is_some()),
            img_xpath: at("img", image.is_some()),
            price_xpath: at(
                "div[contains(@class,'box__price-seller')]//span[contains(@class,'text__value')]",
                p.is_some(),
            ),
        });
    }
    Ok(out)
}

/// The first problem [`check`] found with a category's items.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// Not as many items as expected.
    #[error("{found} items where {expected} were expected")]
    Count {
        /// Items found.
        found: usize,
        /// Items expected.
        expected: usize,
    },
    /// A rank outside 1..=expected.
    #[error("rank {rank} is outside 1..={expected}")]
    OutOfRange {
        /// The rank.
        rank: usize,
        /// Items expected.
        expected: usize,
    },
    /// A rank given to two items.
    #[error("rank {0} appears twice")]
    Twice(usize),
    /// An item without a title.
    #[error("the item ranked {0} has no title")]
    NoTitle(usize),
    /// An item without a URL.
    #[error("the item ranked {0} has no url")]
    NoUrl(usize),
}

/// Checks a category's items: exactly `expected` of them, ranks 1..=expected once each, and
/// every item with a title and a URL.
pub fn check(items: &[Item], expected: usize) -> Result<(), CheckError> {
    if items.len() != expected {
        return Err(CheckError::Count { found: items.len(), expected });
    }
    let mut seen = vec![false; expected + 1];
    for it in items {
        let r = it.rank as usize;
        if r == 0 || r > expected {
            return Err(CheckError::OutOfRange { rank: r, expected });
        }
        if seen[r] {
            return Err(CheckError::Twice(r));
        }
        seen[r] = true;
        if it.title.is_empty() {
            return Err(CheckError::NoTitle(r));
        }
        if it.url.is_empty() {
            return Err(CheckError::NoUrl(r));
        }
    }
    Ok(())
}

/// The price in won, when the text holds exactly one price: digits, optionally in groups of
/// three separated by commas, then nothing, `원`, `원~` or `~` ("from"), whitespace aside. So
/// `12,900원` is 12900, and a range (`1,000원~2,000원`), an old and a new price (`12,900원 →
/// 9,900원`), a sign, or words (`가격문의`) give none: the text alone is kept.
pub fn price_won(price: &str) -> Option<i64> {
    let text = price.trim();
    let end = text.find(|c: char| !c.is_ascii_digit() && c != ',').unwrap_or(text.len());
    let (number, rest) = text.split_at(end);
    let rest: String = rest.split_whitespace().collect();
    if !matches!(rest.as_str(), "" | "원" | "원~" | "~") {
        return None;
    }
    let mut groups = number.split(',');
    let first = groups.next()?;
    let grouped = number.contains(',');
    if first.is_empty() || (grouped && first.len() > 3) || groups.clone().any(|g| g.len() != 3) {
        return None;
    }
    number.replace(',', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_keeps_everything_but_html_whitespace_runs() {
        assert_eq!(collapse("  a \t\r\n b\u{a0}c  "), "a b\u{a0}c");
    }

    #[test]
    fn price_won_reads_one_price() {
        assert_eq!(price_won("12,900원"), Some(12900));
        assert_eq!(price_won("12900"), Some(12900));
        assert_eq!(price_won(" 164,100 "), Some(164100));
        assert_eq!(price_won("1,234,567원"), Some(1234567));
        assert_eq!(price_won("12,900 원"), Some(12900));
        assert_eq!(price_won("12,900원~"), Some(12900));
        assert_eq!(price_won("0원"), Some(0));
    }

    #[test]
    fn price_won_is_none_for_anything_but_one_price() {
        for text in [
            "가격문의",
            "",
            "원",
            "1,000원~2,000원",
            "1,000~2,000",
            "12,900원 → 9,900원",
            "12,900원 9,900원",
            "-5원",
            "−5원",
            "+5원",
            "12,90원",
            "1,2900원",
            "1234,567원",
            ",900원",
            "12,900,원",
            "12.5원",
            "약 12,900원",
            "99999999999999999999",
        ] {
            assert_eq!(price_won(text), None, "{text:?}");
        }
    }

    fn mobile_item(id: &str, rank: &str, title: &str) -> String {
        format!(
            "<li id=\"{id}\"><a href=\"http://mitem.gmarket.co.kr/Item?goodsCode=1\">{rank}<strong>{title}</strong><em>1,000원</em></a></li>"
        )
    }

    #[test]
    fn mobile2021_takes_only_the_best_list_and_checks_its_stated_ranks() {
        let list = |items: &[String]| {
            format!("<div class=\"best-list\"><ul class=\"best-list__items\">{}</ul></div>", items.concat())
        };
        let ad = format!("<div class=\"box__ad\"><ul>{}</ul></div>", mobile_item("selectedAd", "", "광고"));
        let items =
            [mobile_item("selected1", "<span class=\"rank\">1</span>", "하나"), mobile_item("selected2", "", "둘")];
        let (layout, found) = parse(&format!("<html><body>{ad}{}</body></html>", list(&items))).unwrap();
        assert_eq!(layout, Layout::Mobile2021);
        let ranked: Vec<(u32, &str)> = found.iter().map(|i| (i.rank, i.title.as_str())).collect();
        assert_eq!(ranked, [(1, "하나"), (2, "둘")]);

        let err = parse(&format!("<html><body>{ad}</body></html>")).unwrap_err();
        assert!(err.contains("no known layout"), "{err}");

        let swapped = [
            mobile_item("selected1", "<span class=\"rank\">1</span>", "하나"),
            mobile_item("selected2", "<span class=\"rank\">3</span>", "셋"),
            mobile_item("selected3", "<span class=\"rank\">2</span>", "둘"),
        ];
        let err = parse(&list(&swapped)).unwrap_err();
        assert!(err.contains("position 2 ") && err.contains("\"3\"") && err.contains("span.rank"), "{err}");
    }

    #[test]
    fn next2024_stated_ranks_must_follow_the_list_skipping_banners() {
        let item = |rank: &str| {
            format!(
                "<li class=\"list-item\"><a class=\"link\" href=\"https://item.gmarket.co.kr/Item?goodscode=1\" data-montelena-goodscode=\"1\"><span class=\"box__label-rank\">{rank}</span><p class=\"box__item-title\">t{rank}</p></a></li>"
            )
        };
        let banner = "<li class=\"list-item list-item--banner\"><a class=\"link\" href=\"/ad\" data-montelena-goodscode=\"9\"><span class=\"box__label-rank\">AD</span></a></li>";
        let page = |items: &[&str]| format!("<ul class=\"list__best\">{}</ul>", items.concat());
        let (one, two, three) = (item("1"), item("2"), item("3"));
        let (_, found) = parse(&page(&[&one, banner, &two, &three])).unwrap();
        assert_eq!(found.iter().map(|i| i.rank).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(
            found[1].title_xpath,
            "//ul[contains(@class,'list__best')]/li[3]//p[contains(@class,'box__item-title')]"
        );

        let err = parse(&page(&[&one, &three, &two])).unwrap_err();
        assert!(err.contains("position 2 ") && err.contains("\"3\"") && err.contains("span.box__label-rank"), "{err}");
        let err = parse(&page(&[&one, &one])).unwrap_err();
        assert!(err.contains("position 2 ") && err.contains("\"1\""), "{err}");
        let err = parse(&page(&[&item("")])).unwrap_err();
        assert!(err.contains("item 1 has no rank"), "{err}");
    }

    #[test]
    fn check_names_the_first_problem() {
        let item = |rank: u32| Item {
            rank,
            title: "t".into(),
            price: "1원".into(),
            url: "u".into(),
            img: String::new(),
            title_xpath: "N/A".into(),
            img_xpath: "N/A".into(),
            price_xpath: "N/A".into(),
        };
        assert_eq!(check(&[item(1), item(1)], 2).unwrap_err().to_string(), "rank 1 appears twice");
        assert_eq!(check(&[item(1)], 2).unwrap_err().to_string(), "1 items where 2 were expected");
        assert!(check(&[item(2), item(1)], 2).is_ok());
    }
}
