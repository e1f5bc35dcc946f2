/**
 * Photo input for the real-image path: bytes or a file through sharp (JPEG, PNG, WebP; 8 or
 * 16 bits; grayscale expanded; alpha flattened; EXIF orientation applied), shrunk inside the
 * decoder to the working size, with the mapping back to the file's (oriented) pixels kept.
 */
import * as fs from "fs";
import { decodeImageInfo } from "../engine/image-io";
import type { RgbImage } from "../engine/types";
import type { PhotoInputConfig } from "./config";

/** A decoded photo at working size and how its pixels map to the original. */
export interface Photo {
  /** File name or "bytes". */
  name: string;
  /** The working image (longer side <= workingSize). */
  image: RgbImage;
  /** Size of the oriented original. */
  originalWidth: number;
  originalHeight: number;
  /** originalWidth / image.width (>= 1; 1 when not shrunk). */
  scale: number;
  /** EXIF orientation that was applied (1 = none). */
  orientation: number;
  bitDepth: number;
}

/**
 * Decodes a photo (paper §5.1.1's input: a real image) to the working size. Bad input fails with
 * a message naming the file: missing, empty, corrupt, truncated, larger than `maxSide`.
 */
export async function loadPhoto(input: string | Uint8Array, config: PhotoInputConfig, name?: string): Promise<Photo> {
  let bytes: Uint8Array;
  let label: string;
  if (typeof input === "string") {
    label = name ?? input;
    if (!fs.existsSync(input)) throw new Error(`loadPhoto: no such file ${input}`);
    bytes = fs.readFileSync(input);
  } else {
    label = name ?? "bytes";
    bytes = input;
  }
  const d = await decodeImageInfo(bytes, label, { maxSide: config.maxSide, fitWithin: config.workingSize });
  return {
    name: label,
    image: d.image,
    originalWidth: d.originalWidth,
    originalHeight: d.originalHeight,
    scale: d.originalWidth / d.image.width,
    orientation: d.orientation,
    bitDepth: d.bitDepth,
  };
}

/** Working-image pixel coordinates (continuous) -> the oriented original's. */
export function toOriginal(photo: Pick<Photo, "image" | "originalWidth" | "originalHeight">, u: number, v: number): { u: number; v: number } {
  return { u: (u * photo.originalWidth) / photo.image.width, v: (v * photo.originalHeight) / photo.image.height };
}

/** The oriented original's pixel coordinates -> the working image's. */
export function fromOriginal(photo: Pick<Photo, "image" | "originalWidth" | "originalHeight">, u: number, v: number): { u: number; v: number } {
  return { u: (u * photo.image.width) / photo.originalWidth, v: (v * photo.image.height) / photo.originalHeight };
}
