//! Photos as a document holds them: upright, scaled to print well at the width of the text,
//! as PNG (docx-rs embeds PNG only).
//!
//! A phone's photo is 2560 px; printed 7.8 cm wide (two to a row) at 150 dpi it needs about
//! 460 px, so [`LONG_EDGE`] keeps the documents small (a 50-photo report stays a few MB) and
//! the encoding fast. Decoding follows the thumbnails' limits against decompression bombs.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// The long edge of a photo in a document, in pixels.
pub const LONG_EDGE: u32 = 800;

/// The widest or tallest photo decoded (as for thumbnails).
const MAX_SIDE: u32 = 12_000;
/// The most memory a decoder may take.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// A photo ready for a document.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Whether photos of type `mime` can be placed in a document: HEIC has no Rust decoder.
pub fn supported(mime: &str) -> bool {
    matches!(mime, "image/jpeg" | "image/png" | "image/webp")
}

/// The photo in `bytes`, turned upright as its EXIF orientation says, scaled to at most
/// [`LONG_EDGE`], as PNG.
pub fn render(bytes: &[u8]) -> Result<Rendition, image::ImageError> {
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
        // `thumbnail` averages pixels: sharp enough for print and much faster than a
        // Lanczos filter on a 2560 px photo.
        image = image.thumbnail(LONG_EDGE, LONG_EDGE);
    }
    image.apply_orientation(orientation);
    let rgb = DynamicImage::ImageRgb8(image.into_rgb8());
    let mut png = Vec::new();
    // Fast compression: a photo barely compresses losslessly anyway, and the best setting
    // costs several times the CPU for a few percent.
    rgb.write_with_encoder(PngEncoder::new_with_quality(
        &mut png,
        CompressionType::Fast,
        FilterType::Sub,
    ))?;
    Ok(Rendition {
        png,
        width: rgb.width(),
        height: rgb.height(),
    })
}

#[cfg(test)]
mod tests {
    use image::{ImageFormat, RgbImage};

    use super::*;

    #[test]
    fn photos_become_upright_pngs_no_longer_than_the_long_edge() {
        let photo = DynamicImage::ImageRgb8(RgbImage::from_pixel(2560, 1920, [10, 120, 30].into()));
        let mut jpeg = Cursor::new(Vec::new());
        photo.write_to(&mut jpeg, ImageFormat::Jpeg).unwrap();
        let made = render(jpeg.get_ref()).unwrap();
        assert_eq!((made.width, made.height), (800, 600));
        assert!(made.png.starts_with(b"\x89PNG"));
        let back = image::load_from_memory_with_format(&made.png, ImageFormat::Png).unwrap();
        assert_eq!((back.width(), back.height()), (800, 600));
        assert!(render(b"\xFF\xD8\xFF\xE0 not really a jpeg").is_err());
    }
}
