//! Geometry blobs to EWKB, exactly as PostGIS writes it.
//!
//! **Input**: a GeoPackage binary geometry (`GP` header, optional envelope,
//! ISO or extended WKB of either byte order) or a SpatiaLite blob (its own
//! format: MBR, class codes, `0x69` entity marks, compressed vertices,
//! TinyPoint). **Output**: EWKB in PostGIS's canonical form — the bytes
//! `ST_AsEWKB` returns: little-endian throughout, Z/M/SRID as flag bits of
//! the outer type, the SRID (when not 0) on the outer geometry only, an
//! empty point as NaN coordinates. `verify` compares these bytes with
//! `ST_AsEWKB` on the server, so the form is the proof.
//!
//! Invariants: coordinates are copied bit for bit (SpatiaLite's compressed
//! vertices are expanded with SpatiaLite's own float arithmetic); what
//! PostGIS's receive function would refuse (a ring that is not closed, a
//! line of one point, mixed dimensions, an unknown type) is an error here,
//! never a changed value; sizes are checked against the blob before any
//! allocation.

/// EWKB flag bits of the type word.
const EWKB_Z: u32 = 0x8000_0000;
const EWKB_M: u32 = 0x4000_0000;
const EWKB_SRID: u32 = 0x2000_0000;
/// Collections nested deeper than this are refused.
const MAX_DEPTH: usize = 32;

/// The outer geometry of an EWKB value: base type (WKB code), dimensions,
/// SRID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub kind: u32,
    pub z: bool,
    pub m: bool,
    pub srid: i32,
}

/// The name of a WKB base type code, as PostGIS writes it in messages and
/// type modifiers.
pub fn type_name(kind: u32) -> &'static str {
    match kind {
        0 => "Geometry",
        1 => "Point",
        2 => "LineString",
        3 => "Polygon",
        4 => "MultiPoint",
        5 => "MultiLineString",
        6 => "MultiPolygon",
        7 => "GeometryCollection",
        8 => "CircularString",
        9 => "CompoundCurve",
        10 => "CurvePolygon",
        11 => "MultiCurve",
        12 => "MultiSurface",
        15 => "PolyhedralSurface",
        16 => "Tin",
        17 => "Triangle",
        _ => "Unknown",
    }
}

/// The WKB code of a type name (any case; `GEOMETRY` is 0), or `None`.
pub fn type_code(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    (0..=17)
        .filter(|k| type_name(*k) != "Unknown")
        .find(|k| type_name(*k).eq_ignore_ascii_case(&lower))
        .or(match lower.as_str() {
            "curve" | "surface" => Some(0),
            _ => None,
        })
}

/// The outer shape of canonical EWKB (as [`from_geopackage`] and
/// [`from_spatialite`] write it).
pub fn shape(ewkb: &[u8]) -> Option<Shape> {
    let word = u32::from_le_bytes(ewkb.get(1..5)?.try_into().ok()?);
    let srid = if word & EWKB_SRID != 0 {
        i32::from_le_bytes(ewkb.get(5..9)?.try_into().ok()?)
    } else {
        0
    };
    Some(Shape {
        kind: word & 0x0fff_ffff,
        z: word & EWKB_Z != 0,
        m: word & EWKB_M != 0,
        srid,
    })
}

/// Appends `ewkb` (canonical, without an SRID) with `srid` set on the
/// outer geometry, as PostGIS stores a value that had none in a column
/// that has one.
pub fn with_srid(out: &mut Vec<u8>, ewkb: &[u8], srid: i32) {
    let word = u32::from_le_bytes(ewkb[1..5].try_into().expect("EWKB header"));
    out.push(1);
    out.extend_from_slice(&(word | EWKB_SRID).to_le_bytes());
    out.extend_from_slice(&srid.to_le_bytes());
    out.extend_from_slice(&ewkb[5..]);
}

/// A GeoPackage binary geometry (GeoPackage 1.x, clause 2.1.3) as EWKB.
pub fn from_geopackage(b: &[u8]) -> Result<Vec<u8>, String> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return Err("blob is not GeoPackage geometry (no `GP` header)".into());
    }
    if b[2] != 0 {
        return Err(format!("GeoPackage geometry version {} is not 1", b[2]));
    }
    let flags = b[3];
    if flags & 0x20 != 0 {
        return Err(
            "extended GeoPackage geometry (a non-standard type) has no PostGIS form".into(),
        );
    }
    let envelope = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        n => return Err(format!("GeoPackage envelope code {n} is invalid")),
    };
    let little = flags & 1 == 1;
    let srs = read_i32(&b[4..8], little);
    let start = 8 + envelope;
    if b.len() < start + 5 {
        return Err("GeoPackage geometry is shorter than its header".into());
    }
    let mut r = Reader::new(&b[start..]);
    let mut out = Vec::with_capacity(b.len());
    wkb(&mut r, &mut out, Outer::Srid(srs.max(0)), 0)?;
    r.finish("GeoPackage geometry")?;
    Ok(out)
}

/// A SpatiaLite geometry blob (BLOB-Geometry, SpatiaLite 2–5, including
/// compressed geometries and TinyPoint) as EWKB.
pub fn from_spatialite(b: &[u8]) -> Result<Vec<u8>, String> {
    match b.first() {
        Some(0x00) => spatialite_blob(b),
        Some(0x80) => tiny_point(b),
        _ => Err("blob is not SpatiaLite geometry (no start mark)".into()),
    }
}

fn endian(b: u8) -> Result<bool, String> {
    match b {
        1 => Ok(true),
        0 => Ok(false),
        x => Err(format!("byte order mark {x:#04x} is neither 0 nor 1")),
    }
}

fn spatialite_blob(b: &[u8]) -> Result<Vec<u8>, String> {
    if b.len() < 45 || b[38] != 0x7c || b[b.len() - 1] != 0xfe {
        return Err("SpatiaLite geometry is truncated or lacks its marks".into());
    }
    let little = endian(b[1])?;
    let srid = read_i32(&b[2..6], little).max(0);
    let mut r = Reader {
        b: &b[39..b.len() - 1],
        at: 0,
        little,
    };
    let mut out = Vec::with_capacity(b.len());
    spatialite_geom(&mut r, &mut out, Outer::Srid(srid), 0)?;
    r.finish("SpatiaLite geometry")?;
    Ok(out)
}

/// TinyPoint: `0x80`, byte order, SRID, a class byte (1 XY, 2 XYZ, 3 XYM,
/// 4 XYZM), the coordinates, `0xFE`.
fn tiny_point(b: &[u8]) -> Result<Vec<u8>, String> {
    if b.len() < 8 || b[b.len() - 1] != 0xfe {
        return Err("SpatiaLite TinyPoint is truncated".into());
    }
    let little = endian(b[1])?;
    let srid = read_i32(&b[2..6], little).max(0);
    let (z, m) = match b[6] {
        1 => (false, false),
        2 => (true, false),
        3 => (false, true),
        4 => (true, true),
        x => return Err(format!("SpatiaLite TinyPoint class {x} is unknown")),
    };
    let mut r = Reader {
        b: &b[7..b.len() - 1],
        at: 0,
        little,
    };
    let mut out = Vec::with_capacity(b.len());
    type_word(&mut out, 1, z, m, Outer::Srid(srid));
    point(&mut r, &mut out, dims(z, m))?;
    r.finish("SpatiaLite TinyPoint")?;
    Ok(out)
}

/// How the geometry being written sits: outermost (with its SRID) or
/// inside a collection (with the parent's dimensions).
#[derive(Clone, Copy)]
enum Outer {
    Srid(i32),
    Member { z: bool, m: bool },
}

fn dims(z: bool, m: bool) -> usize {
    2 + usize::from(z) + usize::from(m)
}

/// Byte order mark and type word (with the SRID when outermost and not 0).
fn type_word(out: &mut Vec<u8>, kind: u32, z: bool, m: bool, outer: Outer) {
    out.push(1);
    let mut word = kind;
    if z {
        word |= EWKB_Z;
    }
    if m {
        word |= EWKB_M;
    }
    match outer {
        Outer::Srid(s) if s != 0 => {
            out.extend_from_slice(&(word | EWKB_SRID).to_le_bytes());
            out.extend_from_slice(&s.to_le_bytes());
        }
        _ => out.extend_from_slice(&word.to_le_bytes()),
    }
}

/// Splits an ISO (`+1000` Z, `+2000` M) or extended (flag bits) type word.
fn split_code(word: u32) -> Result<(u32, bool, bool, bool), String> {
    let has_srid = word & EWKB_SRID != 0;
    let mut z = word & EWKB_Z != 0;
    let mut m = word & EWKB_M != 0;
    let code = word & 0x0fff_ffff;
    match code / 1000 {
        0 => {}
        1 => z = true,
        2 => m = true,
        3 => (z, m) = (true, true),
        _ => return Err(format!("geometry type code {code} is unknown")),
    }
    Ok((code % 1000, z, m, has_srid))
}

/// Checks a member's dimensions against its collection's, as PostGIS does.
fn same_dims(outer: Outer, z: bool, m: bool) -> Result<(), String> {
    match outer {
        Outer::Member { z: pz, m: pm } if (pz, pm) != (z, m) => {
            Err("a collection mixes geometries of different dimensions".into())
        }
        _ => Ok(()),
    }
}

/// One WKB geometry (any byte order, ISO or extended codes) as EWKB.
fn wkb(r: &mut Reader<'_>, out: &mut Vec<u8>, outer: Outer, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("geometry nested more than {MAX_DEPTH} deep"));
    }
    r.little = endian(r.u8()?)?;
    let (kind, z, m, has_srid) = split_code(r.u32()?)?;
    if has_srid {
        r.u32()?;
    }
    same_dims(outer, z, m)?;
    type_word(out, kind, z, m, outer);
    let n = dims(z, m);
    match kind {
        1 => point(r, out, n),
        2 | 8 => points(r, out, n, kind),
        3 | 17 => rings(r, out, n, kind),
        4 | 5 | 6 | 7 | 9 | 10 | 11 | 12 | 15 | 16 => {
            let count = r.count(5)?;
            out.extend_from_slice(&count.to_le_bytes());
            for _ in 0..count {
                wkb(r, out, Outer::Member { z, m }, depth + 1)?;
            }
            Ok(())
        }
        k => Err(format!("geometry type code {k} is unknown")),
    }
}

/// A point's coordinates; all NaN is POINT EMPTY, written with PostGIS's NaN.
fn point(r: &mut Reader<'_>, out: &mut Vec<u8>, n: usize) -> Result<(), String> {
    let c: Vec<f64> = (0..n).map(|_| r.f64()).collect::<Result<_, _>>()?;
    let empty = c.iter().all(|v| v.is_nan());
    for v in c {
        let v = if empty { f64::NAN } else { v };
        out.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    Ok(())
}

/// A point list (LineString, CircularString) with PostGIS's size checks.
fn points(r: &mut Reader<'_>, out: &mut Vec<u8>, n: usize, kind: u32) -> Result<(), String> {
    let count = r.count(8 * n)?;
    let coords = read_coords(r, count as usize * n)?;
    check_points(kind, count)?;
    write_points(out, count, &coords);
    Ok(())
}

fn rings(r: &mut Reader<'_>, out: &mut Vec<u8>, n: usize, kind: u32) -> Result<(), String> {
    let count = r.count(4)?;
    out.extend_from_slice(&count.to_le_bytes());
    for _ in 0..count {
        let np = r.count(8 * n)?;
        let coords = read_coords(r, np as usize * n)?;
        check_ring(kind, np, &coords, n)?;
        write_points(out, np, &coords);
    }
    Ok(())
}

fn read_coords(r: &mut Reader<'_>, n: usize) -> Result<Vec<f64>, String> {
    (0..n).map(|_| r.f64()).collect()
}

fn write_points(out: &mut Vec<u8>, count: u32, coords: &[f64]) {
    out.extend_from_slice(&count.to_le_bytes());
    for v in coords {
        out.extend_from_slice(&v.to_bits().to_le_bytes());
    }
}

/// PostGIS's parse checks: a line needs two points, a circular string an
/// odd number of at least three (none is empty).
fn check_points(kind: u32, count: u32) -> Result<(), String> {
    match kind {
        2 if count == 1 => Err("a LineString of one point (PostGIS needs two)".into()),
        8 if count > 0 && (count < 3 || count.is_multiple_of(2)) => Err(format!(
            "a CircularString of {count} points (PostGIS needs an odd number, at least three)"
        )),
        _ => Ok(()),
    }
}

/// A ring needs four points and the same first and last point (in x and y).
fn check_ring(kind: u32, count: u32, coords: &[f64], n: usize) -> Result<(), String> {
    let what = if kind == 17 { "Triangle" } else { "Polygon" };
    if count < 4 {
        return Err(format!(
            "a {what} ring of {count} points (PostGIS needs four)"
        ));
    }
    let last = (count as usize - 1) * n;
    let closed = coords[0].to_bits() == coords[last].to_bits()
        && coords[1].to_bits() == coords[last + 1].to_bits();
    if !closed {
        return Err(format!("a {what} ring that is not closed"));
    }
    Ok(())
}

/// One SpatiaLite geometry body after its class code.
fn spatialite_geom(
    r: &mut Reader<'_>,
    out: &mut Vec<u8>,
    outer: Outer,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("geometry nested more than {MAX_DEPTH} deep"));
    }
    let class = r.u32()?;
    let compressed = class >= 1_000_000;
    let (kind, z, m, _) = split_code(class % 1_000_000)?;
    if kind > 7 {
        return Err(format!("SpatiaLite geometry class {class} is unknown"));
    }
    same_dims(outer, z, m)?;
    type_word(out, kind, z, m, outer);
    let n = dims(z, m);
    match (kind, compressed) {
        (1, _) => point(r, out, n),
        (2, false) => points(r, out, n, 2),
        (2, true) => compressed_points(r, out, z, m, None),
        (3, false) => rings(r, out, n, 3),
        (3, true) => {
            let count = r.count(4)?;
            out.extend_from_slice(&count.to_le_bytes());
            (0..count).try_for_each(|_| compressed_points(r, out, z, m, Some(3)))
        }
        _ => {
            let count = r.count(5)?;
            out.extend_from_slice(&count.to_le_bytes());
            for _ in 0..count {
                if r.u8()? != 0x69 {
                    return Err("SpatiaLite collection member lacks its entity mark".into());
                }
                spatialite_geom(r, out, Outer::Member { z, m }, depth + 1)?;
            }
            Ok(())
        }
    }
}

/// A compressed SpatiaLite point list: first and last vertex as doubles,
/// the others as float32 offsets from the vertex before (M stays a double),
/// expanded as SpatiaLite does (`x = last_x + (double) fx`).
fn compressed_points(
    r: &mut Reader<'_>,
    out: &mut Vec<u8>,
    z: bool,
    m: bool,
    ring: Option<u32>,
) -> Result<(), String> {
    let n = dims(z, m);
    let count = r.count(4 * n)?;
    let mut coords = Vec::with_capacity(count as usize * n);
    let mut last = [0f64; 4];
    for i in 0..count {
        let full = i == 0 || i == count - 1;
        let mut v = [0f64; 4];
        for (d, slot) in v.iter_mut().enumerate().take(n) {
            let is_m = m && d == n - 1;
            *slot = if full || is_m {
                r.f64()?
            } else {
                last[d] + f64::from(r.f32()?)
            };
        }
        coords.extend_from_slice(&v[..n]);
        last = v;
    }
    match ring {
        Some(kind) => check_ring(kind, count, &coords, n)?,
        None => check_points(2, count)?,
    }
    write_points(out, count, &coords);
    Ok(())
}

fn read_i32(b: &[u8], little: bool) -> i32 {
    let a: [u8; 4] = [b[0], b[1], b[2], b[3]];
    if little {
        i32::from_le_bytes(a)
    } else {
        i32::from_be_bytes(a)
    }
}

/// A cursor over a blob in one byte order.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
    little: bool,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Reader<'a> {
        Reader {
            b,
            at: 0,
            little: true,
        }
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let s = self
            .b
            .get(self.at..self.at + N)
            .ok_or("geometry ends in the middle of a value")?;
        self.at += N;
        Ok(s.try_into().expect("length checked"))
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        let a = self.take::<4>()?;
        Ok(if self.little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }

    fn f64(&mut self) -> Result<f64, String> {
        let a = self.take::<8>()?;
        Ok(f64::from_bits(if self.little {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        }))
    }

    /// A count of items of at least `min_bytes` each that must fit in what
    /// is left of the blob.
    fn count(&mut self, min_bytes: usize) -> Result<u32, String> {
        let n = self.u32()?;
        let left = self.b.len() - self.at;
        if (n as usize).saturating_mul(min_bytes) > left {
            return Err(format!(
                "geometry claims {n} items but only {left} bytes follow"
            ));
        }
        Ok(n)
    }

    fn finish(&self, what: &str) -> Result<(), String> {
        match self.b.len() - self.at {
            0 => Ok(()),
            n => Err(format!("{what} has {n} bytes after its end")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    // Blobs and EWKB from SpatiaLite 5.0.1 (`hex(geom)`, `AsEWKB(geom)`,
    // `AsGPB(geom)`).
    const SL_POINT: &str = "0001E6100000000000000000F83F0000000000000240000000000000F83F00000000000002407C01000000000000000000F83F0000000000000240FE";
    const SL_LINEZ_COMPRESSED: &str = "0001E610000000000000000000000000000000000000000000000000144000000000000014407C2A460F000400000000000000000000000000000000000000000000000000F03FCDCC8C3F0000803F0000803F6666663F0000004000000040000000000000144000000000000014400000000000001440FE";
    const EWKB_LINEZ_COMPRESSED: &str = "01020000A0E61000000400000000000000000000000000000000000000000000000000F03F000000A09999F13F000000000000F03F0000000000000040000000000000004000000000000008400000000000001040000000000000144000000000000014400000000000001440";
    const GPB_POINT: &str = "47500003E6100000000000000000F83F000000000000F83F000000000000024000000000000002400101000000000000000000F83F0000000000000240";
    const EWKB_POINT: &str = "0101000020E6100000000000000000F83F0000000000000240";

    #[test]
    fn type_names_read_back_as_their_codes_and_nothing_else() {
        assert_eq!(type_code("MULTIPOLYGON"), Some(6));
        assert_eq!(type_code("Tin"), Some(16));
        assert_eq!(type_code("curve"), Some(0));
        assert_eq!(type_code("Unknown"), None);
        assert_eq!(type_code("Blob"), None);
    }

    #[test]
    fn spatialite_blobs_become_postgis_ewkb() {
        assert_eq!(
            from_spatialite(&unhex(SL_POINT)).unwrap(),
            unhex(EWKB_POINT)
        );
        assert_eq!(
            from_spatialite(&unhex(SL_LINEZ_COMPRESSED)).unwrap(),
            unhex(EWKB_LINEZ_COMPRESSED)
        );
    }

    #[test]
    fn geopackage_blobs_become_postgis_ewkb() {
        let e = from_geopackage(&unhex(GPB_POINT)).unwrap();
        assert_eq!(e, unhex(EWKB_POINT));
        assert_eq!(
            shape(&e),
            Some(Shape {
                kind: 1,
                z: false,
                m: false,
                srid: 4326
            })
        );
    }

    #[test]
    fn big_endian_iso_wkb_and_empty_points_are_canonical() {
        // GP, version 0, flags 0 (big-endian header, no envelope), srs 0,
        // then big-endian ISO POINT Z (1001) of NaNs with the sign bit set.
        let mut b = b"GP\x00\x00\x00\x00\x00\x00".to_vec();
        b.push(0);
        b.extend_from_slice(&1001u32.to_be_bytes());
        for _ in 0..3 {
            b.extend_from_slice(&(-f64::NAN).to_bits().to_be_bytes());
        }
        let e = from_geopackage(&b).unwrap();
        let mut want = vec![1];
        want.extend_from_slice(&(1 | EWKB_Z).to_le_bytes());
        for _ in 0..3 {
            want.extend_from_slice(&f64::NAN.to_bits().to_le_bytes());
        }
        assert_eq!(e, want);
    }

    #[test]
    fn what_postgis_would_refuse_is_an_error_not_a_value() {
        let gp = |wkb: &[u8]| {
            let mut b = b"GP\x00\x01\x00\x00\x00\x00".to_vec();
            b.extend_from_slice(wkb);
            from_geopackage(&b)
        };
        let mut open_ring = vec![1];
        open_ring.extend_from_slice(&3u32.to_le_bytes());
        open_ring.extend_from_slice(&1u32.to_le_bytes());
        open_ring.extend_from_slice(&4u32.to_le_bytes());
        for v in [0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 2.0f64] {
            open_ring.extend_from_slice(&v.to_le_bytes());
        }
        assert!(gp(&open_ring).unwrap_err().contains("not closed"));
        let mut huge = vec![1];
        huge.extend_from_slice(&2u32.to_le_bytes());
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(gp(&huge).unwrap_err().contains("claims"));
        assert!(from_geopackage(b"GP\x00\x21\x00\x00\x00\x00\x01").is_err());
        assert!(from_spatialite(b"\x00\x01").is_err());
        assert!(from_spatialite(&[]).is_err());
    }
}
