//! Sorting the SQLite side's rows in bounded memory: rows are kept until
//! they fill the budget, then sorted and written as a run to an anonymous
//! temporary file; at the end the runs are merged back in key order.
//!
//! Used where SQLite cannot give PostgreSQL's order (keyless tables,
//! NOCASE keys, timestamp or real keys). A table that fits the budget
//! never touches the disk.
use super::{KeyPart, Row};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

/// Bytes of rows held before a run is spilled, unless
/// `PGBRIDGE_VERIFY_SORT_MB` says otherwise.
pub const DEFAULT_BUDGET: usize = 32 << 20;

/// The sort budget in bytes: `PGBRIDGE_VERIFY_SORT_MB` (MiB, may be
/// fractional) or [`DEFAULT_BUDGET`].
pub fn budget() -> usize {
    std::env::var("PGBRIDGE_VERIFY_SORT_MB")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|mb| *mb > 0.0)
        .map_or(DEFAULT_BUDGET, |mb| (mb * 1_048_576.0) as usize)
}

pub struct Sorter {
    budget: usize,
    held: Vec<Row>,
    used: usize,
    runs: Vec<std::fs::File>,
}

/// Roughly what a row costs in memory.
fn size(r: &Row) -> usize {
    let key: usize = r
        .key
        .iter()
        .map(|k| match k {
            KeyPart::Int(_) => 16,
            KeyPart::Bytes(b) => 32 + b.len(),
        })
        .sum();
    let display: usize = r.display.iter().map(|s| 24 + s.len()).sum();
    96 + key + r.bytes.len() + 16 * r.fields.len() + display
}

fn put_len(w: &mut impl Write, n: usize) -> io::Result<()> {
    let n = u32::try_from(n).map_err(|_| io::Error::other("a row over 4 GiB"))?;
    w.write_all(&n.to_le_bytes())
}

fn put_bytes(w: &mut impl Write, b: &[u8]) -> io::Result<()> {
    put_len(w, b.len())?;
    w.write_all(b)
}

fn write_row(w: &mut impl Write, r: &Row) -> io::Result<()> {
    put_len(w, r.key.len())?;
    for k in &r.key {
        match k {
            KeyPart::Int(i) => {
                w.write_all(&[0])?;
                w.write_all(&i.to_le_bytes())?;
            }
            KeyPart::Bytes(b) => {
                w.write_all(&[1])?;
                put_bytes(w, b)?;
            }
        }
    }
    put_bytes(w, &r.bytes)?;
    put_len(w, r.fields.len())?;
    for &(a, b) in &r.fields {
        put_len(w, a)?;
        put_len(w, b)?;
    }
    put_len(w, r.display.len())?;
    for s in &r.display {
        put_bytes(w, s.as_bytes())?;
    }
    Ok(())
}

fn get_len(r: &mut impl Read) -> io::Result<usize> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b) as usize)
}

fn get_bytes(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let n = get_len(r)?;
    let mut v = vec![0u8; n];
    r.read_exact(&mut v)?;
    Ok(v)
}

/// The next row of a run, or none at its end.
fn read_row(r: &mut impl Read) -> io::Result<Option<Row>> {
    let mut b = [0u8; 4];
    match r.read_exact(&mut b) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut key = Vec::with_capacity(u32::from_le_bytes(b) as usize);
    for _ in 0..u32::from_le_bytes(b) {
        let mut tag = [0u8; 1];
        r.read_exact(&mut tag)?;
        key.push(if tag[0] == 0 {
            let mut i = [0u8; 8];
            r.read_exact(&mut i)?;
            KeyPart::Int(i64::from_le_bytes(i))
        } else {
            KeyPart::Bytes(get_bytes(r)?)
        });
    }
    let bytes = get_bytes(r)?;
    let n = get_len(r)?;
    let mut fields = Vec::with_capacity(n);
    for _ in 0..n {
        fields.push((get_len(r)?, get_len(r)?));
    }
    let n = get_len(r)?;
    let mut display = Vec::with_capacity(n);
    for _ in 0..n {
        display.push(String::from_utf8_lossy(&get_bytes(r)?).into_owned());
    }
    Ok(Some(Row {
        key,
        bytes,
        fields,
        display,
    }))
}

impl Sorter {
    pub fn new(budget: usize) -> Sorter {
        Sorter {
            budget,
            held: Vec::new(),
            used: 0,
            runs: Vec::new(),
        }
    }

    /// How many runs went to disk so far.
    #[cfg(test)]
    pub fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    pub fn push(&mut self, row: Row) -> io::Result<()> {
        self.used += size(&row);
        self.held.push(row);
        if self.used > self.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.held.sort_by(|a, b| a.key.cmp(&b.key));
        let mut w = BufWriter::with_capacity(1 << 20, tempfile::tempfile()?);
        for r in self.held.drain(..) {
            write_row(&mut w, &r)?;
        }
        let mut f = w.into_inner().map_err(|e| e.into_error())?;
        f.rewind()?;
        self.runs.push(f);
        self.used = 0;
        Ok(())
    }

    /// Every row in key order, numbered from 0; `f` returns false to stop.
    pub fn finish(mut self, f: &mut dyn FnMut(u64, &Row) -> bool) -> io::Result<()> {
        if self.runs.is_empty() {
            self.held.sort_by(|a, b| a.key.cmp(&b.key));
            for (n, row) in self.held.iter().enumerate() {
                if !f(n as u64, row) {
                    break;
                }
            }
            return Ok(());
        }
        if !self.held.is_empty() {
            self.spill()?;
        }
        let mut readers: Vec<BufReader<std::fs::File>> = self
            .runs
            .drain(..)
            .map(|f| BufReader::with_capacity(1 << 16, f))
            .collect();
        let mut heads: Vec<Option<Row>> = Vec::with_capacity(readers.len());
        // Smallest key first; the run index keeps equal keys in run order.
        let mut heap = BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            let head = read_row(r)?;
            if let Some(row) = &head {
                heap.push(Reverse((row.key.clone(), i)));
            }
            heads.push(head);
        }
        let mut n = 0u64;
        while let Some(Reverse((_, i))) = heap.pop() {
            let row = heads[i].take().expect("a head for every heap entry");
            if !f(n, &row) {
                break;
            }
            n += 1;
            heads[i] = read_row(&mut readers[i])?;
            if let Some(next) = &heads[i] {
                heap.push(Reverse((next.key.clone(), i)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(k: i64, text: &str) -> Row {
        Row {
            key: vec![KeyPart::Bytes(text.as_bytes().to_vec()), KeyPart::Int(k)],
            bytes: text.as_bytes().to_vec(),
            fields: vec![(0, text.len())],
            display: vec![format!("{k}:{text}")],
        }
    }

    fn sorted(budget: usize, rows: &[(i64, &str)]) -> (Vec<String>, usize) {
        let mut s = Sorter::new(budget);
        for &(k, t) in rows {
            s.push(row(k, t)).unwrap();
        }
        let runs = s.spilled_runs();
        let mut out = Vec::new();
        s.finish(&mut |n, r| {
            out.push(format!("{n} {}", r.display[0]));
            true
        })
        .unwrap();
        (out, runs)
    }

    #[test]
    fn spilled_runs_merge_to_the_in_memory_order() {
        let rows: Vec<(i64, String)> = (0..500i64)
            .map(|i| ((i * 7919) % 500, format!("t{}", (i * 31) % 97)))
            .collect();
        let rows: Vec<(i64, &str)> = rows.iter().map(|(k, t)| (*k, t.as_str())).collect();
        let (mem, runs) = sorted(usize::MAX, &rows);
        assert_eq!(runs, 0);
        let (disk, runs) = sorted(2_000, &rows);
        assert!(runs > 5, "{runs} runs");
        assert_eq!(disk, mem);
        assert_eq!(mem.len(), 500);
        assert!(mem[0].starts_with("0 "), "{}", mem[0]);
    }

    #[test]
    fn finish_stops_when_asked() {
        let (_, _) = sorted(10, &[(1, "a")]);
        let mut s = Sorter::new(10);
        for i in 0..10 {
            s.push(row(i, "x")).unwrap();
        }
        let mut seen = 0;
        s.finish(&mut |_, _| {
            seen += 1;
            seen < 3
        })
        .unwrap();
        assert_eq!(seen, 3);
    }
}
