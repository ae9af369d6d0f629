/* A validator of the JSON Schema (draft 2020-12) keywords the EU DCC schema uses, for
 * the certificate verification page: $ref to the schema's own definitions, type,
 * properties, additionalProperties, required, items, minItems, maxItems, minLength,
 * maxLength, minimum, maximum, exclusiveMinimum, exclusiveMaximum, pattern, enum, const,
 * oneOf, anyOf, allOf, not, and the formats date and date-time. It is plain code, so it
 * runs under the page's CSP (no eval, no new Function). A schema holding any other
 * assertion is refused whole when compiled, never half-checked.
 *
 * Values are taken as the CBOR decoder gives them: a map is a Map with text keys; bytes,
 * tags and maps with other keys are no JSON value and match no type.
 *
 * window.DccSchema.compile(schema) -> validate(value) -> [{path, message}] (empty: valid)
 */
(function () {
  "use strict";

  const ANNOTATIONS = new Set(["$schema", "$id", "$comment", "$defs", "title", "description",
    "examples", "default", "deprecated", "readOnly", "writeOnly", "valueset-uri"]);
  const ASSERTIONS = new Set(["$ref", "type", "properties", "additionalProperties",
    "required", "items", "minItems", "maxItems", "minLength", "maxLength", "minimum",
    "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern", "enum", "const", "oneOf",
    "anyOf", "allOf", "not", "format"]);
  const MAX_DEPTH = 64;

  function kindOf(value) {
    if (value === null) return "null";
    if (typeof value === "boolean") return "boolean";
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return "none";
      return Number.isInteger(value) ? "integer" : "number";
    }
    if (typeof value === "string") return "string";
    if (Array.isArray(value)) return "array";
    if (value instanceof Map && [...value.keys()].every((k) => typeof k === "string")) {
      return "object";
    }
    return "none";
  }

  function isType(kind, type) {
    return kind === type || (type === "number" && kind === "integer");
  }

  const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
  const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

  function isDate(text) {
    const m = DATE.exec(text);
    if (!m) return false;
    const year = Number(m[1]), month = Number(m[2]), day = Number(m[3]);
    if (month < 1 || month > 12 || day < 1) return false;
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
    return day <= days;
  }

  function isDateTime(text) {
    const m = DATE_TIME.exec(text);
    if (!m || !isDate(m[1])) return false;
    if (Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4]) > 60) return false;
    return m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
  }

  const FORMATS = { "date": isDate, "date-time": isDateTime };

  // Whether a decoded value equals a value written in the schema (JSON: plain objects).
  function same(value, expected) {
    if (Array.isArray(expected)) {
      return Array.isArray(value) && value.length === expected.length
        && expected.every((x, i) => same(value[i], x));
    }
    if (expected !== null && typeof expected === "object") {
      if (kindOf(value) !== "object") return false;
      const keys = Object.keys(expected);
      return keys.length === value.size
        && keys.every((k) => value.has(k) && same(value.get(k), expected[k]));
    }
    return value === expected;
  }

  function compile(root) {
    const patterns = new Map();

    function pointer(ref) {
      if (ref === "#") return root;
      if (!ref.startsWith("#/")) throw new Error("only references inside the schema: " + ref);
      let node = root;
      for (const part of ref.slice(2).split("/")) {
        const key = decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~");
        if (!node || typeof node !== "object" || !Object.prototype.hasOwnProperty.call(node, key)) {
          throw new Error("a reference to nothing: " + ref);
        }
        node = node[key];
      }
      return node;
    }

    function prepare(schema, where) {
      if (typeof schema === "boolean") return;
      if (!schema || typeof schema !== "object" || Array.isArray(schema)) {
        throw new Error("not a schema at " + where);
      }
      for (const [key, value] of Object.entries(schema)) {
        const at = where + "/" + key;
        if (key === "$defs") {
          for (const [name, sub] of Object.entries(value)) prepare(sub, at + "/" + name);
        } else if (ANNOTATIONS.has(key)) {
          continue;
        } else if (!ASSERTIONS.has(key)) {
          throw new Error("a keyword this validator does not check: " + at);
        } else if (key === "properties") {
          for (const [name, sub] of Object.entries(value)) prepare(sub, at + "/" + name);
        } else if (key === "items" || key === "not" || key === "additionalProperties") {
          prepare(value, at);
        } else if (key === "oneOf" || key === "anyOf" || key === "allOf") {
          value.forEach((sub, i) => prepare(sub, at + "/" + i));
        } else if (key === "pattern") {
          patterns.set(value, new RegExp(value, "u"));
        } else if (key === "format" && !FORMATS[value]) {
          throw new Error("a format this validator does not check: " + value);
        } else if (key === "$ref") {
          pointer(value);
        }
      }
    }

    function fail(errors, path, message) {
      errors.push({ path: path || "/", message });
      return false;
    }

    function check(schema, value, path, errors, depth) {
      if (schema === true) return true;
      if (schema === false) return fail(errors, path, "no value is allowed here");
      if (depth > MAX_DEPTH) return fail(errors, path, "nested too deeply");
      const kind = kindOf(value);
      let ok = true;
      if (schema.$ref !== undefined) {
        ok = check(pointer(schema.$ref), value, path, errors, depth + 1) && ok;
      }
      if (schema.type !== undefined) {
        const types = Array.isArray(schema.type) ? schema.type : [schema.type];
        if (!types.some((t) => isType(kind, t))) {
          return fail(errors, path, "not of type " + types.join(" or "));
        }
      }
      if (schema.enum !== undefined && !schema.enum.some((x) => same(value, x))) {
        ok = fail(errors, path, "not one of the allowed values");
      }
      if (schema.const !== undefined && !same(value, schema.const)) {
        ok = fail(errors, path, "not the required value");
      }
      if (kind === "string") {
        const length = [...value].length;
        if (schema.maxLength !== undefined && length > schema.maxLength) {
          ok = fail(errors, path, "longer than " + schema.maxLength + " characters");
        }
        if (schema.minLength !== undefined && length < schema.minLength) {
          ok = fail(errors, path, "shorter than " + schema.minLength + " characters");
        }
        if (schema.pattern !== undefined && !patterns.get(schema.pattern).test(value)) {
          ok = fail(errors, path, "does not match " + schema.pattern);
        }
        if (schema.format !== undefined && !FORMATS[schema.format](value)) {
          ok = fail(errors, path, "not a valid " + schema.format);
        }
      }
      if (kind === "integer" || kind === "number") {
        if (schema.minimum !== undefined && value < schema.minimum) {
          ok = fail(errors, path, "less than " + schema.minimum);
        }
        if (schema.maximum !== undefined && value > schema.maximum) {
          ok = fail(errors, path, "more than " + schema.maximum);
        }
        if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
          ok = fail(errors, path, "not more than " + schema.exclusiveMinimum);
        }
        if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
          ok = fail(errors, path, "not less than " + schema.exclusiveMaximum);
        }
      }
      if (kind === "array") {
        if (schema.minItems !== undefined && value.length < schema.minItems) {
          ok = fail(errors, path, "fewer than " + schema.minItems + " items");
        }
        if (schema.maxItems !== undefined && value.length > schema.maxItems) {
          ok = fail(errors, path, "more than " + schema.maxItems + " items");
        }
        if (schema.items !== undefined) {
          value.forEach((x, i) => {
            ok = check(schema.items, x, path + "/" + i, errors, depth + 1) && ok;
          });
        }
      }
      if (kind === "object") {
        for (const name of schema.required || []) {
          if (!value.has(name)) ok = fail(errors, path, "the required property " + name + " is missing");
        }
        const properties = schema.properties || {};
        for (const [name, x] of value) {
          const own = Object.prototype.hasOwnProperty.call(properties, name);
          if (own) {
            ok = check(properties[name], x, path + "/" + name, errors, depth + 1) && ok;
          } else if (schema.additionalProperties !== undefined) {
            ok = check(schema.additionalProperties, x, path + "/" + name, errors, depth + 1) && ok;
          }
        }
      }
      for (const sub of schema.allOf || []) ok = check(sub, value, path, errors, depth + 1) && ok;
      if (schema.anyOf !== undefined
          && !schema.anyOf.some((sub) => check(sub, value, path, [], depth + 1))) {
        ok = fail(errors, path, "matches none of the allowed forms");
      }
      if (schema.oneOf !== undefined) {
        const matching = schema.oneOf.filter((sub) => check(sub, value, path, [], depth + 1));
        if (matching.length !== 1) {
          ok = fail(errors, path, matching.length ? "matches more than one of the allowed forms"
            : "matches none of the allowed forms");
        }
      }
      if (schema.not !== undefined && check(schema.not, value, path, [], depth + 1)) {
        ok = fail(errors, path, "matches a form that is not allowed");
      }
      return ok;
    }

    prepare(root, "#");
    return function validate(value) {
      const errors = [];
      check(root, value, "", errors, 0);
      return errors;
    };
  }

  window.DccSchema = { compile, kindOf };
})();
