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

/// Which layout `doc` is in.
pub fn recognise(doc: &Html) -> Option<Layout> {
    if doc.select(&sel("li[id^=\"selected\"] > a")).next().is_some() {
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
            "the page is in no known layout (neither the 2021 mobile `li[id^=selected] > a` nor the 2024 `ul.list__best > li.list-item`); its title is {title:?}"
        ));
    };
    let items = match layout {
        Layout::Mobile2021 => mobile2021(&doc),
        Layout::Next2024 => next2024(&doc)?,
    };
    Ok((layout, items))
}

fn mobile2021(doc: &Html) -> Vec<Item> {
    let (strong, em, img) = (sel("strong"), sel("em"), sel("img"));
    let mut out = Vec::new();
    for (i, a) in doc.select(&sel("li[id^=\"selected\"] > a")).enumerate() {
        let id = a.parent().and_then(ElementRef::wrap).and_then(|li| li.value().id()).unwrap_or("").to_string();
        let at = |tag: &str, found: bool| if found { format!("//li[@id='{id}']/a/{tag}") } else { "N/A".to_string() };
        let title = a.select(&strong).next();
        let price = a.select(&em).next();
        let image = a.select(&img).next();
        out.push(Item {
            rank: i as u32 + 1,
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
    out
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
        let rank: u32 = rank_text
            .parse()
            .map_err(|_| format!("item {n} has no rank (`span.box__label-rank` reads {rank_text:?})"))?;
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

/// Checks a category's items: exactly `expected` of them, ranks 1..=expected once each, and
/// every item with a title and a URL.
pub fn check(items: &[Item], expected: usize) -> Result<(), String> {
    if items.len() != expected {
        return Err(format!("{} items where {expected} were expected", items.len()));
    }
    let mut seen = vec![false; expected + 1];
    for it in items {
        let r = it.rank as usize;
        if r == 0 || r > expected {
            return Err(format!("rank {r} is outside 1..={expected}"));
        }
        if seen[r] {
            return Err(format!("rank {r} appears twice"));
        }
        seen[r] = true;
        if it.title.is_empty() {
            return Err(format!("the item ranked {r} has no title"));
        }
        if it.url.is_empty() {
            return Err(format!("the item ranked {r} has no url"));
        }
    }
    Ok(())
}

/// The price in won, when the text holds digits: `12,900원` is 12900.
pub fn price_won(price: &str) -> Option<i64> {
    let digits: String = price.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() { None } else { digits.parse().ok() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_keeps_everything_but_html_whitespace_runs() {
        assert_eq!(collapse("  a \t\r\n b\u{a0}c  "), "a b\u{a0}c");
    }

    #[test]
    fn price_won_reads_the_digits() {
        assert_eq!(price_won("12,900원"), Some(12900));
        assert_eq!(price_won("가격문의"), None);
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
        assert_eq!(check(&[item(1), item(1)], 2), Err("rank 1 appears twice".into()));
        assert_eq!(check(&[item(1)], 2), Err("1 items where 2 were expected".into()));
        assert!(check(&[item(2), item(1)], 2).is_ok());
    }
}
