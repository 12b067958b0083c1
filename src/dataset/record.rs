//! The landed CSV: the original's nine columns in its order, then three more, UTF-8, a header
//! row, RFC 4180 quoting. Extra columns: `price_won` (the price as a number, for analysis),
//! `category_code` (stable where names change) and `collected_at` (the hour, so a file says
//! what it is without its path).

/// The columns, in order.
pub const COLUMNS: [&str; 12] = [
    "rank",
    "title",
    "price",
    "url",
    "img",
    "category",
    "title_xpath",
    "img_xpath",
    "price_xpath",
    "price_won",
    "category_code",
    "collected_at",
];

/// One row of the landed file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// Rank in the category, 1 to 100.
    pub rank: u32,
    /// The item's title.
    pub title: String,
    /// The price as the page's text.
    pub price: String,
    /// The item's page.
    pub url: String,
    /// Its image.
    pub img: String,
    /// The category's name.
    pub category: String,
    /// Where the title was on the page, or `N/A`.
    pub title_xpath: String,
    /// Where the image was, or `N/A`.
    pub img_xpath: String,
    /// Where the price was, or `N/A`.
    pub price_xpath: String,
    /// The price in won, when the text holds one.
    pub price_won: Option<i64>,
    /// The category's code.
    pub category_code: String,
    /// The collection hour, `YYYY-MM-DDTHH`.
    pub collected_at: String,
}

/// The CSV of `rows`, header first.
pub fn to_csv(rows: &[Row]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(COLUMNS).expect("in memory");
    for r in rows {
        w.serialize(r).expect("in memory");
    }
    w.into_inner().expect("in memory")
}

/// A landed CSV that is not one: unreadable, or not in the landed columns.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// A line that does not read as a row (the error names it).
    #[error("{0}")]
    Read(csv::Error),
    /// A header other than [`COLUMNS`].
    #[error("the header is {0:?}, not the landed columns {COLUMNS:?}")]
    Header(Vec<String>),
}

/// The rows of a landed CSV; an error names the line.
pub fn from_csv(bytes: &[u8]) -> Result<Vec<Row>, CsvError> {
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let header: Vec<String> = r.headers().map_err(CsvError::Read)?.iter().map(str::to_string).collect();
    if header != COLUMNS {
        return Err(CsvError::Header(header));
    }
    r.deserialize().map(|row| row.map_err(CsvError::Read)).collect()
}
