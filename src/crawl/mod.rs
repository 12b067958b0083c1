//! The crawl, the first stage: the best-100 page of every category fetched (`source`), decoded
//! (`charset`) and read in its layout (`layout`) into the hour's rows, all or nothing. `sample`
//! serves recorded pages on loopback for a crawl that needs no network.

pub mod charset;
pub mod layout;
pub mod sample;
pub mod source;

use std::collections::BTreeMap;

use crate::dataset::hour::Hour;
use crate::dataset::record::Row;
use crate::model::Category;
use layout::{Item, price_won};
use source::CategoryError;

/// An hour's rows of every category.
#[derive(Debug, Clone)]
pub struct Collected {
    /// Every row, category by category, rank by rank.
    pub rows: Vec<Row>,
    /// Rows per category code.
    pub per_category: BTreeMap<String, usize>,
}

/// A crawl of which at least one category failed: nothing is to be published for the hour.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} of {categories} categories failed, so nothing was published for {hour}:\n  {}",
    failed.len(),
    failed.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
)]
pub struct CrawlError {
    /// The hour crawled.
    pub hour: Hour,
    /// Categories crawled.
    pub categories: usize,
    /// Each failed category, in the categories' order.
    pub failed: Vec<CategoryError>,
}

/// The row of `item` collected in `category` at `hour`.
fn row(item: Item, category: &Category, hour: Hour) -> Row {
    Row {
        rank: item.rank,
        price_won: price_won(&item.price),
        title: item.title,
        price: item.price,
        url: item.url,
        img: item.img,
        category: category.name.clone(),
        title_xpath: item.title_xpath,
        img_xpath: item.img_xpath,
        price_xpath: item.price_xpath,
        category_code: category.code.clone(),
        collected_at: hour.to_string(),
    }
}

/// Crawls every category for `hour`. All or nothing: when any category fails, the error lists
/// each failed one, and nothing is to be published for the hour.
pub async fn collect(
    categories: &[Category],
    hour: Hour,
    fetch: &source::FetchOptions,
) -> Result<Collected, CrawlError> {
    let results = source::crawl(categories, fetch).await;
    let mut rows = Vec::new();
    let mut per_category = BTreeMap::new();
    let mut failed = Vec::new();
    for (category, result) in categories.iter().zip(results) {
        match result {
            Ok((_, mut items)) => {
                items.sort_by_key(|i| i.rank);
                per_category.insert(category.code.clone(), items.len());
                rows.extend(items.into_iter().map(|i| row(i, category, hour)));
            }
            Err(e) => failed.push(e),
        }
    }
    if failed.is_empty() {
        Ok(Collected { rows, per_category })
    } else {
        Err(CrawlError { hour, categories: categories.len(), failed })
    }
}
