import PerfDBModel

/// XXH64 (Yann Collet's xxHash, 64-bit), fed incrementally: the content digest of large raw
/// streams, where SHA-256 would cost more than parsing.
///
/// Not cryptographic; two seeds make a 128-bit digest for idempotency.
public struct XXHash64: Sendable {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    private let seed: UInt64
    private var v1: UInt64
    private var v2: UInt64
    private var v3: UInt64
    private var v4: UInt64
    private var buffer = [UInt8](repeating: 0, count: 32)
    private var buffered = 0
    private var total: UInt64 = 0

    /// Creates a hash with `seed`.
    public init(seed: UInt64 = 0) {
        self.seed = seed
        v1 = seed &+ Self.prime1 &+ Self.prime2
        v2 = seed &+ Self.prime2
        v3 = seed
        v4 = seed &- Self.prime1
    }

    @inline(__always)
    private static func round(_ accumulator: UInt64, _ input: UInt64) -> UInt64 {
        let mixed = accumulator &+ input &* prime2
        return ((mixed << 31) | (mixed >> 33)) &* prime1
    }

    @inline(__always)
    private static func merge(_ accumulator: UInt64, _ value: UInt64) -> UInt64 {
        (accumulator ^ round(0, value)) &* prime1 &+ prime4
    }

    @inline(__always)
    private static func load64(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Adds bytes to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        total &+= UInt64(bytes.count)
        var offset = 0
        if buffered > 0 {
            let take = min(32 - buffered, bytes.count)
            for index in 0..<take { buffer[buffered + index] = bytes[index] }
            buffered += take
            offset = take
            if buffered < 32 { return }
            buffer.withUnsafeBytes { block in
                guard let pointer = block.baseAddress else { return }
                consume(pointer)
            }
            buffered = 0
        }
        var a = v1
        var b = v2
        var c = v3
        var d = v4
        while offset + 32 <= bytes.count {
            a = Self.round(a, Self.load64(base, offset))
            b = Self.round(b, Self.load64(base, offset + 8))
            c = Self.round(c, Self.load64(base, offset + 16))
            d = Self.round(d, Self.load64(base, offset + 24))
            offset += 32
        }
        v1 = a
        v2 = b
        v3 = c
        v4 = d
        while offset < bytes.count {
            buffer[buffered] = bytes[offset]
            buffered += 1
            offset += 1
        }
    }

    private mutating func consume(_ pointer: UnsafeRawPointer) {
        v1 = Self.round(v1, Self.load64(pointer, 0))
        v2 = Self.round(v2, Self.load64(pointer, 8))
        v3 = Self.round(v3, Self.load64(pointer, 16))
        v4 = Self.round(v4, Self.load64(pointer, 24))
    }

    /// The digest of everything added so far.
    public func finalize() -> UInt64 {
        var hash: UInt64
        if total >= 32 {
            hash =
                ((v1 << 1) | (v1 >> 63)) &+ ((v2 << 7) | (v2 >> 57))
                &+ ((v3 << 12) | (v3 >> 52)) &+ ((v4 << 18) | (v4 >> 46))
            hash = Self.merge(hash, v1)
            hash = Self.merge(hash, v2)
            hash = Self.merge(hash, v3)
            hash = Self.merge(hash, v4)
        } else {
            hash = seed &+ Self.prime5
        }
        hash &+= total
        var index = 0
        buffer.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            while index + 8 <= buffered {
                let k1 = Self.round(0, Self.load64(base, index))
                hash ^= k1
                hash = ((hash << 27) | (hash >> 37)) &* Self.prime1 &+ Self.prime4
                index += 8
            }
            if index + 4 <= buffered {
                let word = UInt64(
                    UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt32.self))
                )
                hash ^= word &* Self.prime1
                hash = ((hash << 23) | (hash >> 41)) &* Self.prime2 &+ Self.prime3
                index += 4
            }
            while index < buffered {
                hash ^= UInt64(raw[index]) &* Self.prime5
                hash = ((hash << 11) | (hash >> 53)) &* Self.prime1
                index += 1
            }
        }
        hash ^= hash >> 33
        hash = hash &* Self.prime2
        hash ^= hash >> 29
        hash = hash &* Self.prime3
        hash ^= hash >> 32
        return hash
    }
}

/// The content digest of a raw stream: XXH64 of each 32 KiB block of its decompressed bytes,
/// then XXH64 of those hashes in order and of the length: `xxh64v2:<16 hex>-<bytes>`.
///
/// Blocks are fixed ranges of the stream, so the digest does not depend on how the stream was
/// cut into chunks: parsers hash the blocks that lie whole inside their chunk
/// (``wholeBlocks(in:)``), the reading thread the bytes around them (``Partial``).
struct BlockDigest {
    static let blockSize = 32 << 10

    /// The hashes of the blocks, by index.
    private var hashes: [Int: UInt64] = [:]

    /// The indices of the blocks that lie whole inside `length` bytes at `offset`.
    static func wholeBlocks(offset: Int, length: Int) -> Range<Int> {
        let first = (offset + blockSize - 1) / blockSize
        let end = (offset + length) / blockSize
        return first..<max(first, end)
    }

    /// The hash of each whole block of `bytes`, which start at stream `offset`.
    static func hashWholeBlocks(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int)
        -> [(index: Int, hash: UInt64)]
    {
        wholeBlocks(offset: offset, length: bytes.count).map { index in
            var hash = XXHash64(seed: 0)
            hash.update(
                UnsafeRawBufferPointer(
                    rebasing: UnsafeRawBufferPointer(bytes)[
                        (index * blockSize - offset)..<((index + 1) * blockSize - offset)]))
            return (index, hash.finalize())
        }
    }

    mutating func add(_ blocks: [(index: Int, hash: UInt64)]) {
        for block in blocks { hashes[block.index] = block.hash }
    }

    /// The digest of a stream of `length` bytes once every block is in.
    func finalize(length: Int) -> String {
        var digest = XXHash64(seed: 0)
        for index in hashes.keys.sorted() {
            guard let hash = hashes[index] else { continue }
            withUnsafeBytes(of: hash.littleEndian) { digest.update($0) }
        }
        withUnsafeBytes(of: UInt64(length).littleEndian) { digest.update($0) }
        let text = String(digest.finalize(), radix: 16)
        return "xxh64v2:" + String(repeating: "0", count: 16 - text.count) + text + "-\(length)"
    }

    /// The reading thread's part: the bytes of a chunk outside its whole blocks, in stream
    /// order, hashed into the blocks they belong to.
    struct Partial {
        private var hash = XXHash64(seed: 0)
        private var index = -1
        private var filled = 0

        /// Feeds the bytes of a chunk at `offset` that lie outside its whole blocks; returns the
        /// blocks it completes.
        mutating func feed(chunk bytes: UnsafeBufferPointer<UInt8>, offset: Int)
            -> [(index: Int, hash: UInt64)]
        {
            let whole = BlockDigest.wholeBlocks(offset: offset, length: bytes.count)
            guard !whole.isEmpty else { return feed(bytes, offset: offset) }
            let head = whole.lowerBound * BlockDigest.blockSize - offset
            let tail = whole.upperBound * BlockDigest.blockSize - offset
            return feed(UnsafeBufferPointer(rebasing: bytes[..<head]), offset: offset)
                + feed(UnsafeBufferPointer(rebasing: bytes[tail...]), offset: offset + tail)
        }

        /// Feeds bytes at stream `offset`, block by block.
        mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int)
            -> [(index: Int, hash: UInt64)]
        {
            var done: [(index: Int, hash: UInt64)] = []
            var position = 0
            while position < bytes.count {
                let at = offset + position
                let block = at / BlockDigest.blockSize
                if block != index {
                    hash = XXHash64(seed: 0)
                    index = block
                    filled = 0
                }
                let take = min(bytes.count - position, (block + 1) * BlockDigest.blockSize - at)
                hash.update(
                    UnsafeRawBufferPointer(
                        rebasing: UnsafeRawBufferPointer(bytes)[position..<(position + take)]))
                filled += take
                position += take
                if filled == BlockDigest.blockSize {
                    done.append((index, hash.finalize()))
                    index = -1
                }
            }
            return done
        }

        /// The last, partly filled block, if any.
        mutating func finish() -> [(index: Int, hash: UInt64)] {
            guard index >= 0, filled > 0 else { return [] }
            defer { index = -1 }
            return [(index, hash.finalize())]
        }
    }
}

/// The digest raw streams had before ``BlockDigest``.
///
/// XXH64 over the header, then each 2 MiB chunk's XXH64 and length, and the total length:
/// `xxh64:<16 hex>-<bytes>`. Computed only to recognise streams a database stored with it.
struct LegacyDigest {
    /// The chunk size the legacy digest was defined with.
    static let chunkSize = 2 << 20

    private var hash = XXHash64(seed: 0)

    /// Adds the stream's first bytes (a CSV header).
    mutating func update(header: UnsafeRawBufferPointer) {
        hash.update(header)
    }

    /// Adds one chunk's hash and length, in order.
    mutating func add(chunk chunkHash: UInt64, length: Int) {
        var words = [chunkHash.littleEndian, UInt64(length).littleEndian]
        words.withUnsafeMutableBytes { hash.update(UnsafeRawBufferPointer($0)) }
    }

    /// The digest text of a stream of `length` bytes.
    func finalize(length: Int) -> String {
        let text = String(hash.finalize(), radix: 16)
        return "xxh64:" + String(repeating: "0", count: 16 - text.count) + text + "-\(length)"
    }
}

/// A fast 64-bit hash of a few hundred bytes (wyhash-style multiply–xor over 8-byte words), for
/// the tables that intern tag sets while streaming.
@inline(__always)
func quickHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    guard let base = bytes.baseAddress else { return 0x9E37_79B9_7F4A_7C15 }
    let raw = UnsafeRawPointer(base)
    var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    var offset = 0
    while offset + 8 <= bytes.count {
        let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        let product = (hash ^ word).multipliedFullWidth(by: 0xA076_1D64_78BD_642F)
        hash = product.high ^ product.low
        offset += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while offset < bytes.count {
        tail |= UInt64(base[offset]) << shift
        shift += 8
        offset += 1
    }
    let product = (hash ^ tail ^ 0xE703_7ED1_A0B4_28DB).multipliedFullWidth(
        by: 0x8EBC_6AF0_9C88_C6E3)
    return product.high ^ product.low
}
