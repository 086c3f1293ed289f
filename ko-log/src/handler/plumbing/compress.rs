//! The codecs of `compress`: gzip (feature `gzip`, on by default: flate2 over the pure-Rust
//! miniz_oxide) and zstd (feature `zstd`, off by default: the reference C library).
//!
//! These are streams from a reader to a writer and back, with no knowledge of file names:
//! the `backups` module opens the files, runs them on the handler's compression thread,
//! and renames the result into place. A codec left out of the build answers
//! [`Codec::missing_feature`] at init and an `Unsupported` I/O error here.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use ko_log_config::handler::Compress;

use super::rotation::Kind;

/// Bytes read from the source per step; the cancel flag is checked between steps.
const CHUNK: usize = 64 * 1024;

/// zstd's default level: about gzip's ratio at several times its speed.
#[cfg(feature = "zstd")]
const ZSTD_LEVEL: i32 = 3;

/// A compression format of rotated files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    /// `.gz`, at flate2's default level (6).
    Gzip,
    /// `.zst`, at level 3.
    Zstd,
}

/// How a compression ended without an I/O error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The whole source was compressed and the stream finished.
    Done,
    /// The cancel flag was raised (shutdown past its deadline): the output is incomplete.
    Cancelled,
}

impl Codec {
    /// The codec a `compress` value asks for (`None` for `compress = "none"`), or the
    /// name of a value this version does not know.
    pub(crate) fn of(compress: Compress) -> Result<Option<Codec>, &'static str> {
        match compress {
            Compress::None => Ok(None),
            Compress::Gzip => Ok(Some(Codec::Gzip)),
            Compress::Zstd => Ok(Some(Codec::Zstd)),
            other => Err(other.as_str()),
        }
    }

    /// The codec of a compressed backup kind.
    pub(crate) fn of_kind(kind: Kind) -> Option<Codec> {
        match kind {
            Kind::Plain => None,
            Kind::Gzip => Some(Codec::Gzip),
            Kind::Zstd => Some(Codec::Zstd),
        }
    }

    /// The backup kind this codec writes.
    pub(crate) fn kind(self) -> Kind {
        match self {
            Codec::Gzip => Kind::Gzip,
            Codec::Zstd => Kind::Zstd,
        }
    }

    /// The cargo feature that builds this codec, when this build lacks it.
    pub(crate) fn missing_feature(self) -> Option<&'static str> {
        match self {
            Codec::Gzip if !cfg!(feature = "gzip") => Some("gzip"),
            Codec::Zstd if !cfg!(feature = "zstd") => Some("zstd"),
            _ => None,
        }
    }

    /// The `compress` value naming this codec.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
        }
    }

    /// Compresses all of `from` into `to`, checking `cancel` between chunks. `to` is
    /// finished (the codec's trailer written) only on [`Outcome::Done`].
    pub(crate) fn compress(
        self,
        from: &mut impl Read,
        to: &mut impl Write,
        cancel: &AtomicBool,
    ) -> io::Result<Outcome> {
        match self {
            #[cfg(feature = "gzip")]
            Codec::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(to, flate2::Compression::default());
                let outcome = copy(from, &mut encoder, cancel)?;
                if outcome == Outcome::Done {
                    encoder.try_finish()?;
                }
                Ok(outcome)
            }
            #[cfg(feature = "zstd")]
            Codec::Zstd => {
                let mut encoder = zstd::stream::write::Encoder::new(to, ZSTD_LEVEL)?;
                let outcome = copy(from, &mut encoder, cancel)?;
                if outcome == Outcome::Done {
                    encoder.finish()?;
                }
                Ok(outcome)
            }
            #[allow(unreachable_patterns)]
            _ => {
                let _ = (from, to, cancel);
                Err(self.unsupported())
            }
        }
    }

    /// Whether the compressed stream `compressed` decodes, to its end, to exactly the
    /// bytes of `plain` (checked before a plain file is removed beside an existing
    /// compressed one). A stream that does not decode is `Ok(false)`.
    pub(crate) fn holds(
        self,
        compressed: impl Read,
        plain: &mut impl Read,
        cancel: &AtomicBool,
    ) -> io::Result<bool> {
        match self {
            #[cfg(feature = "gzip")]
            Codec::Gzip => same(
                &mut flate2::read::MultiGzDecoder::new(compressed),
                plain,
                cancel,
            ),
            #[cfg(feature = "zstd")]
            Codec::Zstd => same(
                &mut zstd::stream::read::Decoder::new(compressed)?,
                plain,
                cancel,
            ),
            #[allow(unreachable_patterns)]
            _ => {
                let _ = (compressed, plain, cancel);
                Err(self.unsupported())
            }
        }
    }

    fn unsupported(self) -> io::Error {
        io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "compress = \"{}\" needs ko-log's `{}` feature, which this build does not have",
                self.name(),
                self.name()
            ),
        )
    }
}

/// Copies `from` into `to` chunk by chunk until the end, or until `cancel` is raised.
#[cfg_attr(not(any(feature = "gzip", feature = "zstd")), allow(dead_code))]
fn copy(from: &mut impl Read, to: &mut impl Write, cancel: &AtomicBool) -> io::Result<Outcome> {
    let mut chunk = vec![0u8; CHUNK];
    loop {
        if cancel.load(Ordering::Acquire) {
            return Ok(Outcome::Cancelled);
        }
        let n = match from.read(&mut chunk) {
            Ok(0) => return Ok(Outcome::Done),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(chunk.get(..n).unwrap_or_default())?;
    }
}

/// Whether `decoded` and `plain` yield the same bytes to their ends. A decoding error
/// (`InvalidData`, `InvalidInput`, `UnexpectedEof`: a corrupt or truncated stream) is
/// `Ok(false)`; a cancel is an `Interrupted` error.
#[cfg_attr(not(any(feature = "gzip", feature = "zstd")), allow(dead_code))]
fn same(decoded: &mut impl Read, plain: &mut impl Read, cancel: &AtomicBool) -> io::Result<bool> {
    let mut a = vec![0u8; CHUNK];
    let mut b = vec![0u8; CHUNK];
    loop {
        if cancel.load(Ordering::Acquire) {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "cancelled at shutdown",
            ));
        }
        let n = match read_full(decoded, &mut a) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::InvalidData
                        | io::ErrorKind::InvalidInput
                        | io::ErrorKind::UnexpectedEof
                        | io::ErrorKind::Other
                ) =>
            {
                return Ok(false)
            }
            Err(e) => return Err(e),
        };
        let m = read_full(plain, &mut b)?;
        if n != m || a.get(..n) != b.get(..m) {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// Reads until `buf` is full or the end; returns the bytes read.
fn read_full(from: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let Some(rest) = buf.get_mut(filled..) else {
            break;
        };
        match from.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(feature = "gzip", feature = "zstd"))]
    fn round_trip(codec: Codec, text: &[u8]) {
        let cancel = AtomicBool::new(false);
        let mut packed = Vec::new();
        assert_eq!(
            codec
                .compress(&mut &text[..], &mut packed, &cancel)
                .unwrap(),
            Outcome::Done
        );
        assert!(codec.holds(&packed[..], &mut &text[..], &cancel).unwrap());
        let mut other = text.to_vec();
        other.push(b'x');
        assert!(!codec.holds(&packed[..], &mut &other[..], &cancel).unwrap());
        assert!(!codec
            .holds(&packed[..packed.len() / 2], &mut &text[..], &cancel)
            .unwrap());
        assert!(!codec
            .holds(&b"not compressed"[..], &mut &text[..], &cancel)
            .unwrap());
    }

    fn sample() -> Vec<u8> {
        (0..20_000)
            .flat_map(|i| format!("line {i} of the sample\n").into_bytes())
            .collect()
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn gzip_round_trips_and_tells_a_different_file() {
        round_trip(Codec::Gzip, &sample());
        round_trip(Codec::Gzip, b"");
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn zstd_round_trips_and_tells_a_different_file() {
        round_trip(Codec::Zstd, &sample());
        round_trip(Codec::Zstd, b"");
    }

    #[test]
    fn a_raised_cancel_stops_before_the_first_chunk() {
        let cancel = AtomicBool::new(true);
        let mut out = Vec::new();
        let text = sample();
        for codec in [Codec::Gzip, Codec::Zstd] {
            match codec.compress(&mut &text[..], &mut out, &cancel) {
                Ok(outcome) => assert_eq!(outcome, Outcome::Cancelled),
                Err(e) => {
                    assert_eq!(codec.missing_feature(), Some(codec.name()));
                    assert_eq!(e.kind(), io::ErrorKind::Unsupported);
                }
            }
        }
    }
}
