import Foundation
import PerfDBModel

/// Checks JSON documents against the JSON Schemas in reports/, for the keywords those schemas
/// use: type, const, enum, required, properties, additionalProperties, items, minItems,
/// minimum, maximum, minLength, pattern and local `$ref`.
public struct SchemaValidator {
    private let root: JSONValue

    /// Loads `reports/<name>`.
    public init(named name: String) throws {
        let url = TestPaths.root.appending(path: "reports/\(name)")
        root = try JSONParser.parse([UInt8](try Data(contentsOf: url)))
    }

    /// The problems found in `document` (empty when it is valid).
    public func problems(in document: JSONValue) -> [String] {
        var problems: [String] = []
        check(document, against: root, at: "$", into: &problems)
        return problems
    }

    /// The problems found in JSON text.
    public func problems(inText text: String) -> [String] {
        do {
            return problems(in: try JSONParser.parse(Array(text.utf8)))
        } catch {
            return ["not JSON: \(error)"]
        }
    }

    private func resolve(_ schema: JSONValue) -> JSONValue {
        guard let reference = schema["$ref"]?.stringValue, reference.hasPrefix("#/") else {
            return schema
        }
        var node = root
        for part in reference.dropFirst(2).split(separator: "/") {
            node = node[String(part)] ?? .null
        }
        return node
    }

    private func typeName(_ value: JSONValue) -> [String] {
        switch value {
        case .null: return ["null"]
        case .bool: return ["boolean"]
        case .number(let number):
            return number == number.rounded() ? ["integer", "number"] : ["number"]
        case .string: return ["string"]
        case .array: return ["array"]
        case .object: return ["object"]
        }
    }

    private func check(
        _ value: JSONValue, against rawSchema: JSONValue, at path: String,
        into problems: inout [String]
    ) {
        let schema = resolve(rawSchema)
        if let type = schema["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
            if Set(allowed).isDisjoint(with: typeName(value)) {
                problems.append("\(path): expected \(allowed.joined(separator: "|"))")
                return
            }
        }
        if let constant = schema["const"], constant != value {
            problems.append("\(path): expected \(JSONWriter.render(constant, pretty: false))")
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) {
            problems.append("\(path): \(JSONWriter.render(value, pretty: false)) not in enum")
        }
        if let number = value.numberValue {
            if let minimum = schema["minimum"]?.numberValue, number < minimum {
                problems.append("\(path): below minimum \(minimum)")
            }
            if let maximum = schema["maximum"]?.numberValue, number > maximum {
                problems.append("\(path): above maximum \(maximum)")
            }
        }
        if let string = value.stringValue {
            if let minLength = schema["minLength"]?.numberValue, Double(string.count) < minLength {
                problems.append("\(path): shorter than \(minLength)")
            }
            if let pattern = schema["pattern"]?.stringValue,
                string.range(of: pattern, options: .regularExpression) == nil
            {
                problems.append("\(path): does not match \(pattern)")
            }
        }
        if let array = value.arrayValue {
            if let minItems = schema["minItems"]?.numberValue, Double(array.count) < minItems {
                problems.append("\(path): fewer than \(minItems) items")
            }
            if let items = schema["items"] {
                for (index, element) in array.enumerated() {
                    check(element, against: items, at: "\(path)[\(index)]", into: &problems)
                }
            }
        }
        if let object = value.objectValue {
            for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            where object[key] == nil {
                problems.append("\(path): missing \(key)")
            }
            let properties = schema["properties"]?.objectValue ?? JSONObject()
            for (key, member) in object.members {
                if let property = properties[key] {
                    check(member, against: property, at: "\(path).\(key)", into: &problems)
                } else if let additional = schema["additionalProperties"] {
                    if additional == .bool(false) {
                        problems.append("\(path): unexpected \(key)")
                    } else if additional.objectValue != nil {
                        check(member, against: additional, at: "\(path).\(key)", into: &problems)
                    }
                }
            }
        }
    }
}
