import Foundation

/// Encodes an `Encodable` value into a ``JSONValue``.
///
/// Members come in the order the value encodes them, camel-case keys in snake case
/// (`changePct` → `change_pct`), and a missing optional as `null`, so every document has the
/// same keys whatever it holds. ``JSONWriter`` prints it.
public struct JSONValueEncoder {
    /// Creates an encoder.
    public init() {}

    /// The value as JSON.
    public func encode(_ value: some Encodable) throws -> JSONValue {
        try Slot.encoding(value, at: [])
    }

    /// The member name of a coding key: a property's name in snake case; a dictionary's key
    /// and an ``ExactCodingKey`` as they are.
    static func name(of key: some CodingKey) -> String {
        if key is ExactCodingKey { return key.stringValue }
        return KeyNames.shared.name(of: key)
    }

    /// `camelCase` → `camel_case`; keys already in snake case stay.
    static func snakeCase(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                if !out.isEmpty { out += "_" }
                out += character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }
}

/// The member names of coding keys, worked out once per key type and name: a report of a
/// hundred thousand points encodes the same few keys a million times.
private final class KeyNames: @unchecked Sendable {
    static let shared = KeyNames()
    private let lock = NSLock()
    private var dictionaryKeyTypes: [ObjectIdentifier: Bool] = [:]
    private var snakeCased: [String: String] = [:]

    func name(of key: some CodingKey) -> String {
        let type = ObjectIdentifier(Swift.type(of: key))
        let raw = key.stringValue
        return lock.withLock {
            let isDictionaryKey =
                dictionaryKeyTypes[type]
                ?? {
                    let found = String(describing: Swift.type(of: key)).contains(
                        "DictionaryCodingKey")
                    dictionaryKeyTypes[type] = found
                    return found
                }()
            if isDictionaryKey { return raw }
            if let known = snakeCased[raw] { return known }
            let converted = JSONValueEncoder.snakeCase(raw)
            snakeCased[raw] = converted
            return converted
        }
    }
}

/// Where one encoded value goes: a leaf, or an object or array whose members are slots filled
/// by the containers handed out for them.
private final class Slot {
    private var leaf: JSONValue = .null
    private var keys: [String]?
    private var members: [String: Slot] = [:]
    private var items: [Slot]?

    /// The JSON the slot holds.
    var value: JSONValue {
        if let keys {
            return .object(
                JSONObject(keys.compactMap { key in members[key].map { (key, $0.value) } }))
        }
        if let items { return .array(items.map(\.value)) }
        return leaf
    }

    func set(_ value: JSONValue) { leaf = value }

    /// The slot of member `key`, created in order on first use.
    func member(_ key: String) -> Slot {
        if keys == nil { keys = [] }
        if let existing = members[key] { return existing }
        let slot = Slot()
        keys?.append(key)
        members[key] = slot
        return slot
    }

    func makeObject() { if keys == nil { keys = [] } }

    func makeArray() { if items == nil { items = [] } }

    /// A new last item.
    func item() -> Slot {
        makeArray()
        let slot = Slot()
        items?.append(slot)
        return slot
    }

    var count: Int { items?.count ?? 0 }

    /// Encodes `value` into a new slot.
    static func encoding(_ value: some Encodable, at path: [any CodingKey]) throws -> JSONValue {
        if let leaf = leaf(value) { return leaf }
        let slot = Slot()
        try value.encode(to: ValueEncoder(slot: slot, codingPath: path))
        return slot.value
    }

    /// The JSON of a leaf value, or nil when it is a composite one.
    private static func leaf(_ value: some Encodable) -> JSONValue? {
        switch value {
        case let text as String: .string(text)
        case let flag as Bool: .bool(flag)
        case let number as Double: .number(number)
        case let number as Float: .number(Double(number))
        case let number as Int: .number(Double(number))
        case let number as Int64: .number(Double(number))
        case let number as Int32: .number(Double(number))
        case let number as UInt64: .number(Double(number))
        case let number as UInt32: .number(Double(number))
        case let number as UInt: .number(Double(number))
        case let date as Date: .string(Timestamp.format(date))
        case let json as JSONValue: json
        default: nil
        }
    }
}

private struct ValueEncoder: Encoder {
    let slot: Slot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        slot.makeObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        slot.makeArray()
        return UnkeyedContainer(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(slot: slot, codingPath: codingPath)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    let codingPath: [any CodingKey]

    private func member(_ key: Key) -> Slot {
        slot.member(JSONValueEncoder.name(of: key))
    }

    mutating func encodeNil(forKey key: Key) throws { member(key).set(.null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        member(key).set(try Slot.encoding(value, at: codingPath + [key]))
    }

    // A missing optional is written as null.
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        guard let value else { return member(key).set(.null) }
        try encode(value, forKey: key)
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        member(key).set(value.map(JSONValue.string) ?? .null)
    }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
        member(key).set(value.map(JSONValue.bool) ?? .null)
    }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
        member(key).set(value.map(JSONValue.number) ?? .null)
    }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        member(key).set(value.map { .number(Double($0)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws {
        member(key).set(value.map { .number(Double($0)) } ?? .null)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested = member(key)
        nested.makeObject()
        return KeyedEncodingContainer(
            KeyedContainer<NestedKey>(slot: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = member(key)
        nested.makeArray()
        return UnkeyedContainer(slot: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(slot: slot, codingPath: codingPath) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        ValueEncoder(slot: member(key), codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]
    var count: Int { slot.count }

    mutating func encodeNil() throws { slot.item().set(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        slot.item().set(try Slot.encoding(value, at: codingPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let item = slot.item()
        item.makeObject()
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(slot: item, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let item = slot.item()
        item.makeArray()
        return UnkeyedContainer(slot: item, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        ValueEncoder(slot: slot.item(), codingPath: codingPath)
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { slot.set(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        slot.set(try Slot.encoding(value, at: codingPath))
    }
}

/// A coding key written as it is, not converted to snake case (`schemaVersion`).
public struct ExactCodingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }

    /// A key named `name`.
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
