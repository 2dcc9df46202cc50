import CZlib
import Foundation

/// A PNG decoded to 8-bit RGBA pixels, enough to compare browser screenshots: 8-bit greyscale,
/// RGB, grey with alpha or RGBA, not interlaced (what Chromium writes).
public struct PNGImage: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let width: Int
    public let height: Int
    /// Four bytes per pixel, row by row.
    public let rgba: [UInt8]

    /// Decodes the PNG file at `url`.
    public init(contentsOf url: URL) throws {
        try self.init(data: [UInt8](try Data(contentsOf: url)))
    }

    /// Decodes PNG bytes.
    public init(data: [UInt8]) throws {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard data.count > 8, Array(data[0..<8]) == signature else {
            throw Failure(description: "not a PNG file")
        }
        var offset = 8
        var header: [UInt8] = []
        var compressed: [UInt8] = []
        while offset + 12 <= data.count {
            let length = data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: data[offset + 4..<offset + 8], as: UTF8.self)
            guard offset + 12 + length <= data.count else {
                throw Failure(description: "PNG chunk \(type) runs past the end")
            }
            let body = data[offset + 8..<offset + 8 + length]
            switch type {
            case "IHDR": header = Array(body)
            case "IDAT": compressed += body
            default: break
            }
            offset += 12 + length
            if type == "IEND" { break }
        }
        guard header.count == 13 else { throw Failure(description: "PNG without IHDR") }
        let width = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
        let height = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
        let channels: Int
        switch header[9] {
        case 0: channels = 1
        case 2: channels = 3
        case 4: channels = 2
        case 6: channels = 4
        default: throw Failure(description: "PNG colour type \(header[9]) is not supported")
        }
        guard header[8] == 8, header[12] == 0 else {
            throw Failure(description: "only 8-bit, non-interlaced PNG is supported")
        }
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        var rawLength = uLongf(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { target in
            compressed.withUnsafeBufferPointer { source in
                uncompress(
                    target.baseAddress, &rawLength, source.baseAddress, uLong(source.count))
            }
        }
        guard status == Z_OK, Int(rawLength) == raw.count else {
            throw Failure(description: "PNG image data does not inflate (zlib status \(status))")
        }
        // Undo the filters row by row.
        var pixels = [UInt8](repeating: 0, count: height * stride)
        for row in 0..<height {
            let filter = raw[row * (stride + 1)]
            let source = row * (stride + 1) + 1
            let target = row * stride
            for index in 0..<stride {
                let value = raw[source + index]
                let left = index >= channels ? Int(pixels[target + index - channels]) : 0
                let up = row > 0 ? Int(pixels[target - stride + index]) : 0
                let upLeft =
                    row > 0 && index >= channels
                    ? Int(pixels[target - stride + index - channels]) : 0
                let predicted: Int
                switch filter {
                case 0: predicted = 0
                case 1: predicted = left
                case 2: predicted = up
                case 3: predicted = (left + up) / 2
                case 4:
                    let estimate = left + up - upLeft
                    let toLeft = abs(estimate - left)
                    let toUp = abs(estimate - up)
                    let toUpLeft = abs(estimate - upLeft)
                    predicted =
                        toLeft <= toUp && toLeft <= toUpLeft ? left : toUp <= toUpLeft ? up : upLeft
                default: throw Failure(description: "PNG row \(row) has filter \(filter)")
                }
                pixels[target + index] = UInt8(truncatingIfNeeded: Int(value) + predicted)
            }
        }
        var rgba = [UInt8](repeating: 255, count: width * height * 4)
        for pixel in 0..<width * height {
            let from = pixel * channels
            let to = pixel * 4
            switch channels {
            case 1, 2:
                rgba[to] = pixels[from]
                rgba[to + 1] = pixels[from]
                rgba[to + 2] = pixels[from]
                if channels == 2 { rgba[to + 3] = pixels[from + 1] }
            default:
                rgba[to] = pixels[from]
                rgba[to + 1] = pixels[from + 1]
                rgba[to + 2] = pixels[from + 2]
                if channels == 4 { rgba[to + 3] = pixels[from + 3] }
            }
        }
        self.width = width
        self.height = height
        self.rgba = rgba
    }

    /// The share (0…1) of pixels whose largest channel difference from `other` exceeds
    /// `threshold`; 1 when the sizes differ.
    public func differingShare(from other: PNGImage, threshold: Int) -> Double {
        guard width == other.width, height == other.height, width * height > 0 else { return 1 }
        var differing = 0
        for pixel in 0..<width * height {
            let at = pixel * 4
            var largest = 0
            for channel in 0..<4 {
                largest = max(largest, abs(Int(rgba[at + channel]) - Int(other.rgba[at + channel])))
            }
            if largest > threshold { differing += 1 }
        }
        return Double(differing) / Double(width * height)
    }
}
