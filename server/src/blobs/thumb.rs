//! Thumbnails: a photo scaled to fit [`LONG_EDGE`] pixels, upright, as JPEG.
//!
//! Decoding is CPU work on untrusted bytes: callers run [`make`] on the blocking pool, a few
//! at a time, and the decoder is limited so that a small file announcing huge dimensions (a
//! decompression bomb) is refused before any pixel memory is taken.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// The long edge of a thumbnail, in pixels: sharp in a list on a phone's screen.
pub const LONG_EDGE: u32 = 320;

/// The widest or tallest photo decoded: 48-megapixel phone cameras give 8000 px.
const MAX_SIDE: u32 = 12_000;

/// The most memory a decoder may take, output included: an 8000 x 6000 RGB photo is 144 MB.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// JPEG quality of thumbnails.
const QUALITY: u8 = 80;

/// Whether a thumbnail can be made for photos of type `mime`: not for HEIC/HEIF, which no
/// Rust decoder reads.
pub fn supported(mime: &str) -> bool {
    matches!(mime, "image/jpeg" | "image/png" | "image/webp")
}

/// The thumbnail of the image in `bytes`, as JPEG, turned upright as its EXIF orientation
/// says. Images no larger than the thumbnail keep their size.
pub fn make(bytes: &[u8]) -> Result<Vec<u8>, image::ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    if image.width().max(image.height()) > LONG_EDGE {
        image = image.thumbnail(LONG_EDGE, LONG_EDGE);
    }
    image.apply_orientation(orientation);
    // JPEG has no alpha channel; transparent PNG or WebP areas become black.
    let rgb = DynamicImage::ImageRgb8(image.into_rgb8());
    let mut out = Vec::new();
    rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
        &mut out, QUALITY,
    ))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use image::{ImageFormat, RgbImage};

    use super::*;

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn scales_the_long_edge_down_to_320() {
        let photo = DynamicImage::ImageRgb8(RgbImage::from_pixel(1200, 900, [200, 30, 30].into()));
        for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP] {
            let thumb = make(&encoded(&photo, format)).unwrap();
            let back = image::load_from_memory_with_format(&thumb, ImageFormat::Jpeg).unwrap();
            assert_eq!((back.width(), back.height()), (320, 240), "{format:?}");
        }
        let small = DynamicImage::ImageRgb8(RgbImage::new(100, 50));
        let thumb = make(&encoded(&small, ImageFormat::Png)).unwrap();
        let back = image::load_from_memory(&thumb).unwrap();
        assert_eq!((back.width(), back.height()), (100, 50));
    }

    #[test]
    fn refuses_huge_dimensions_before_decoding() {
        // A valid PNG header announcing 60000 x 60000 pixels (10 GB decoded), in 33 bytes.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&60_000u32.to_be_bytes());
        png.extend_from_slice(&60_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 2, 0, 0, 0]);
        let crc = crc32(&png[12..]);
        png.extend_from_slice(&crc.to_be_bytes());
        let error = make(&png).unwrap_err();
        assert!(matches!(error, image::ImageError::Limits(_)), "{error}");
    }

    #[test]
    fn garbage_after_valid_magic_bytes_is_an_error_not_a_panic() {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.extend(std::iter::repeat_n(0x5A, 5000));
        assert!(make(&bytes).is_err());
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
