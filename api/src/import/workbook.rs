//! What an uploaded workbook may hold, checked before anything is unpacked or allocated.
//!
//! An `.xlsx` file is a zip of XML parts. The reader unpacks the shared strings and styles
//! when it opens the file, and sized a sheet's cells by the sheet's extent: one cell at
//! `XFD1048576` made it allocate 549 GB, and a sheet of 1.1 GiB zipped small took 5.4 GB.
//! So the parts' unpacked sizes are read from the zip's directory first (the zip reader then
//! refuses to unpack more than a part declares), and a sheet is read cell by cell into a grid
//! no larger than an Index sheet can be.
use calamine::{Cell, Data, DataRef, Range, Xlsx};
use std::io::{Cursor, Read, Seek};

/// Rows of an Index sheet: a header and about 200 countries.
pub const MAX_ROWS: u32 = 1_000;
/// Columns of an Index sheet: country, continent, region and about 50 indicators.
pub const MAX_COLUMNS: u32 = 200;
/// The unpacked size of one part (a sheet of 1,000 × 200 cells is under 20 MiB).
pub const MAX_PART_BYTES: u64 = 32 * 1024 * 1024;
/// The unpacked size of all parts together.
pub const MAX_UNPACKED_BYTES: u64 = 128 * 1024 * 1024;
/// Parts of a workbook (sheets, styles, images, …).
pub const MAX_PARTS: usize = 1_000;
/// Characters of one cell's text: a name, a region or a number. A shared string is stored
/// once but copied into every cell that names it, so this bounds what a sheet can grow to.
pub const MAX_CELL_CHARS: usize = 1_000;

/// Refuses a workbook whose parts would unpack beyond the bounds. A file that is not a zip
/// passes: the reader then says that it is not a workbook.
pub fn check_archive(bytes: &[u8]) -> Result<(), String> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ok(()) };
    if archive.len() > MAX_PARTS {
        return Err(format!(
            "the workbook holds {} parts; an Index workbook holds at most {MAX_PARTS}",
            archive.len()
        ));
    }
    let mut total = 0u64;
    for index in 0..archive.len() {
        // the directory's entry only: nothing is unpacked
        let Ok(part) = archive.by_index_raw(index) else { continue };
        let size = part.size();
        if size > MAX_PART_BYTES {
            return Err(format!(
                "the part {:?} unpacks to {size} bytes; a part of an Index workbook unpacks to \
                 at most {MAX_PART_BYTES}",
                part.name().unwrap_or_default()
            ));
        }
        total = total.saturating_add(size);
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(format!(
            "the workbook unpacks to {total} bytes; an Index workbook unpacks to at most \
             {MAX_UNPACKED_BYTES}"
        ));
    }
    Ok(())
}

/// The cell name of a zero-based (row, column), as a spreadsheet shows it: (0, 0) is `A1`.
pub fn cell_name((row, column): (u32, u32)) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(column) + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), u64::from(row) + 1)
}

fn beyond((row, column): (u32, u32)) -> bool {
    row >= MAX_ROWS || column >= MAX_COLUMNS
}

fn too_large(what: &str, at: (u32, u32)) -> String {
    format!(
        "the sheet {what} a cell at {}, beyond what an Index sheet can be ({MAX_ROWS} rows × \
         {MAX_COLUMNS} columns, up to {})",
        cell_name(at),
        cell_name((MAX_ROWS - 1, MAX_COLUMNS - 1))
    )
}

/// The non-empty cells of the sheet `name`, as a range starting at its first non-empty cell
/// (what calamine's `worksheet_range` gives), refused as soon as the sheet declares or holds a
/// cell beyond [`MAX_ROWS`] × [`MAX_COLUMNS`].
pub fn sheet<RS: Read + Seek>(workbook: &mut Xlsx<RS>, name: &str) -> Result<Range<Data>, String> {
    let mut reader = workbook.worksheet_cells_reader(name).map_err(|e| e.to_string())?;
    let declared = reader.dimensions();
    if beyond(declared.end) {
        return Err(too_large("declares", declared.end));
    }
    let mut cells: Vec<Cell<Data>> = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
        let at = cell.get_position();
        if beyond(at) {
            return Err(too_large("holds", at));
        }
        let value = cell.get_value();
        let text = match value {
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.as_str(),
            DataRef::SharedString(s) => s,
            _ => "",
        };
        // bytes first: most texts are decided without counting characters
        if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
            return Err(format!(
                "the cell {} holds {} characters; a cell of an Index sheet holds at most \
                 {MAX_CELL_CHARS}",
                cell_name(at),
                text.chars().count()
            ));
        }
        if !matches!(value, DataRef::Empty) {
            cells.push(Cell::new(at, Data::from(value.clone())));
        }
    }
    Ok(Range::from_sparse(cells))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_named_as_a_spreadsheet_names_them() {
        assert_eq!(cell_name((0, 0)), "A1");
        assert_eq!(cell_name((193, 38)), "AM194");
        assert_eq!(cell_name((1_048_575, 16_383)), "XFD1048576");
        assert_eq!(cell_name((999, 199)), "GR1000");
    }

    #[test]
    fn what_is_not_a_zip_is_left_to_the_reader() {
        assert!(check_archive(b"Country,Score\n").is_ok());
        assert!(check_archive(&[]).is_ok());
    }
}
