package autoassign.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an MMDetection Python config ({@code .py}) without Python: the language those files are written in, a
 * sequence of {@code name = expression} assignments whose expressions are {@code dict(key=...)} calls, {@code {...}}
 * dicts, lists, tuples (→ lists), strings, numbers, {@code True/False/None}, earlier names ({@code pipeline=
 * train_pipeline}), {@code + - * /} on numbers, strings and lists ({@code data_root + 'annotations/...'},
 * {@code [1] * num_stages}), {@code range(...)} and list comprehensions with one {@code for} and no {@code if}
 * ({@code [dict(type='Resize', scale=s) for s in img_scales]}, as the TTA files of RetinaNet / RTMDet / YOLOX write).
 * Nothing is executed; {@code {{_base_.x}}} and {@code _base_.x} take a value of the base files (their helper
 * variables included), as MMEngine; anything else (imports, other calls, dict comprehensions, {@code if} in a
 * comprehension) is a one-line error naming the line.
 *
 * <p>Every assignment is a config key, as in MMEngine, except helper variables: a name that a later expression of the
 * same file uses and that is not a config section ({@code train_pipeline}, {@code backend_args},
 * {@code dataset_type}) has been inlined where it is used and is left out, so the loader's unknown-key check still
 * catches a misspelt section.
 */
final class PythonConfig {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** Top-level keys that stay even when a later expression uses them ({@code test_dataloader = val_dataloader}). */
    static final Set<String> SECTIONS = Set.of("_base_", "model", "data_root", "train_dataloader", "val_dataloader",
            "test_dataloader", "val_evaluator", "test_evaluator", "optim_wrapper", "param_scheduler", "train_cfg",
            "val_cfg", "test_cfg", "default_hooks", "env_cfg", "randomness", "auto_scale_lr", "work_dir", "default_scope",
            "log_level", "load_from", "resume", "visualizer", "log_processor", "custom_hooks", "tta_model", "tta_pipeline");

    private final String source;
    private final List<Token> tokens;
    private final ObjectNode baseNames;
    private int pos;
    private final Map<String, JsonNode> names = new LinkedHashMap<>();
    private final Set<String> used = new HashSet<>();
    private final Set<String> usedFromBase = new HashSet<>();
    /** Loop variables of the comprehension being evaluated (they shadow names and are no config keys). */
    private final Map<String, JsonNode> locals = new HashMap<>();

    private PythonConfig(String source, String text, ObjectNode baseNames) {
        this.source = source;
        this.tokens = new Lexer(source, text).tokens();
        this.baseNames = baseNames;
    }

    /**
     * A file read: its config keys (helper variables left out, {@code _base_} too), all its names (for the files
     * that name it as a base: {@code {{_base_.backend_args}}}), and the base names it used (helpers of the bases,
     * unless they are sections).
     */
    record Read(ObjectNode config, ObjectNode names, Set<String> usedFromBase) {}

    /** The config's keys as a YAML-like tree, for a file without {@code _base_} references. */
    static ObjectNode parse(String source, String text) {
        return read(source, text, null).config();
    }

    /** Reads a file; {@code baseNames} are the merged names of its bases (null: it has none). */
    static Read read(String source, String text, ObjectNode baseNames) {
        PythonConfig p = new PythonConfig(source, text, baseNames);
        p.statements();
        ObjectNode root = F.objectNode(), all = F.objectNode();
        p.names.forEach((k, v) -> {
            if (k.equals("_base_")) return;
            all.set(k, v.deepCopy());
            if (!p.used.contains(k) || SECTIONS.contains(k)) root.set(k, v);
        });
        Set<String> fromBase = new HashSet<>(p.usedFromBase);
        fromBase.removeAll(SECTIONS);
        return new Read(root, all, fromBase);
    }

    /** The value of the file's {@code _base_} assignment (a name or a list of names), or null. */
    static JsonNode bases(String source, String text) {
        PythonConfig p = new PythonConfig(source, text, null);
        for (int k = 0; k + 1 < p.tokens.size(); k++) {
            Token t = p.tokens.get(k), next = p.tokens.get(k + 1);
            boolean statementStart = k == 0 || p.tokens.get(k - 1).kind == Kind.NEWLINE;
            if (statementStart && t.kind == Kind.NAME && t.text.equals("_base_") && next.kind == Kind.OP && next.text.equals("=")) {
                p.pos = k + 2;
                return p.expression();
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------ grammar

    private void statements() {
        while (peek().kind != Kind.END) {
            if (accept(Kind.NEWLINE)) continue;
            Token name = expect(Kind.NAME, "an assignment 'name = ...'");
            if (name.text.equals("import") || name.text.equals("from"))
                throw error(name, "import statements are not supported (the engine reads plain assignments; for MMEngine's "
                        + "new-style configs, mmdet/configs/..., use the classic configs/... file of the same model)");
            if (name.text.equals("if") || name.text.equals("with"))
                throw error(name, "'" + name.text + "' blocks are not supported: MMEngine's new-style configs (with read_base(): "
                        + "...) are not read; use the classic configs/... file of the same model");
            if (peek().kind == Kind.OP && peek().text.equals("."))
                throw error(name, "attribute assignments ('" + name.text + ".x = ...') are not supported");
            expectOp("=", "'=' after " + name.text);
            JsonNode value = expression();
            names.put(name.text, value);
            if (peek().kind != Kind.END) expect(Kind.NEWLINE, "the end of the line after the value of " + name.text);
        }
    }

    private JsonNode expression() {
        JsonNode left = term();
        while (peek().kind == Kind.OP && (peek().text.equals("+") || peek().text.equals("-"))) {
            Token op = next();
            left = arithmetic(op, left, term());
        }
        return left;
    }

    private JsonNode term() {
        JsonNode left = unary();
        while (peek().kind == Kind.OP && (peek().text.equals("*") || peek().text.equals("/") || peek().text.equals("//"))) {
            Token op = next();
            left = arithmetic(op, left, unary());
        }
        return left;
    }

    private JsonNode unary() {
        if (peek().kind == Kind.OP && (peek().text.equals("-") || peek().text.equals("+"))) {
            Token op = next();
            JsonNode v = unary();
            if (!v.isNumber()) throw error(op, "'" + op.text + "' needs a number");
            if (op.text.equals("+")) return v;
            return v.isIntegralNumber() ? integral(-v.asLong()) : F.numberNode(-v.asDouble());
        }
        return subscripts(atom());
    }

    /** {@code v[i]} / {@code v['key']} after a value (YOLOX's {@code -img_scale[0] // 2}): list or tuple by index, dict by key. */
    private JsonNode subscripts(JsonNode v) {
        while (peek().kind == Kind.OP && peek().text.equals("[")) {
            Token open = next();
            JsonNode k = expression();
            expectOp("]", "']' closing the index");
            if (v.isArray() && k.isIntegralNumber()) {
                long i = k.asLong() < 0 ? v.size() + k.asLong() : k.asLong();
                if (i < 0 || i >= v.size()) throw error(open, "index " + k.asLong() + " is out of range for " + v.size() + " items");
                v = v.get((int) i).deepCopy();
            } else if (v.isObject() && k.isTextual()) {
                if (!v.has(k.asText())) throw error(open, "no key '" + k.asText() + "' in the dict");
                v = v.get(k.asText()).deepCopy();
            } else {
                throw error(open, "indexing " + kind(v) + " with " + kind(k) + " is not supported (a list by an integer, a dict by a string)");
            }
        }
        return v;
    }

    private JsonNode atom() {
        Token t = next();
        switch (t.kind) {
            case NUMBER: return number(t);
            case STRING: {
                StringBuilder s = new StringBuilder(t.text);
                while (peek().kind == Kind.STRING) s.append(next().text); // 'a' 'b' is 'ab'
                return F.textNode(s.toString());
            }
            case NAME: return name(t);
            case OP:
                switch (t.text) {
                    case "[": return list("]");
                    case "(": {
                        if (acceptOp(")")) return F.arrayNode();
                        JsonNode first = expression();
                        if (acceptOp(")")) return first; // parentheses, not a tuple
                        expectOp(",", "',' or ')'");
                        ArrayNode tuple = F.arrayNode().add(first);
                        return listRest(tuple, ")");
                    }
                    case "{": {
                        if (peek().kind == Kind.OP && peek().text.equals("{")) { // MMEngine's {{_base_.x}}
                            next();
                            Token b = expect(Kind.NAME, "_base_ in {{_base_.x}}");
                            if (!b.text.equals("_base_")) throw error(b, "only {{_base_.x}} substitutions are supported");
                            JsonNode v = baseReference(b);
                            expectOp("}", "'}}' closing {{_base_...}}");
                            expectOp("}", "'}}' closing {{_base_...}}");
                            return v;
                        }
                        return dictLiteral();
                    }
                    default: break;
                }
                break;
            default: break;
        }
        throw error(t, "unexpected " + t.describe());
    }

    private JsonNode name(Token t) {
        switch (t.text) {
            case "True": return F.booleanNode(true);
            case "False": return F.booleanNode(false);
            case "None": return F.nullNode();
            case "dict": if (acceptOp("(")) return dictCall(); break;
            case "range": if (acceptOp("(")) return range(t); break;
            default: break;
        }
        if (locals.containsKey(t.text)) return locals.get(t.text).deepCopy();
        if (peek().kind == Kind.OP && peek().text.equals("("))
            throw error(t, "calls are not supported except dict(...): " + t.text + "(...)");
        if (t.text.equals("_base_") && peek().kind == Kind.OP && peek().text.equals(".")) return baseReference(t);
        if (peek().kind == Kind.OP && peek().text.equals("."))
            throw error(t, "attribute references (" + t.text + ".x) are not supported: write the value");
        if (t.text.equals("lambda")) throw error(t, "lambda expressions are not supported: write the value");
        JsonNode v = names.get(t.text);
        if (v == null) throw error(t, "name '" + t.text + "' is not defined above");
        used.add(t.text);
        return v.deepCopy();
    }

    /** {@code _base_.a.b}: a value of the merged base files (their helper variables included). */
    private JsonNode baseReference(Token base) {
        StringBuilder path = new StringBuilder("_base_");
        JsonNode v = baseNames;
        while (acceptOp(".")) {
            Token k = expect(Kind.NAME, "a name after '.'");
            path.append('.').append(k.text);
            if (baseNames == null) throw error(k, path + ": this file has no _base_");
            if (v == baseNames) usedFromBase.add(k.text);
            v = v == null ? null : v.get(k.text);
            if (v == null) throw error(k, path + " is not defined by the base files");
        }
        return v.deepCopy();
    }

    private ObjectNode dictCall() {
        ObjectNode d = F.objectNode();
        while (!acceptOp(")")) {
            if (acceptOp("**")) {
                JsonNode v = expression();
                if (!v.isObject()) throw error(peek(), "'**' needs a dict");
                d.setAll((ObjectNode) v);
            } else {
                Token k = expect(Kind.NAME, "a keyword argument 'key=value'");
                expectOp("=", "'=' after " + k.text);
                d.set(k.text, expression());
            }
            if (!acceptOp(",")) {
                expectOp(")", "',' or ')' in dict(...)");
                break;
            }
        }
        return d;
    }

    /** {@code range(stop)}, {@code range(start, stop[, step])} of integers, as a list. */
    private ArrayNode range(Token t) {
        List<Long> args = new ArrayList<>();
        while (!acceptOp(")")) {
            Token at = peek();
            JsonNode v = expression();
            if (!v.isIntegralNumber()) throw error(at, "range(...) takes integers, got " + kind(v));
            args.add(v.asLong());
            if (!acceptOp(",")) {
                expectOp(")", "',' or ')' in range(...)");
                break;
            }
        }
        if (args.isEmpty() || args.size() > 3) throw error(t, "range takes 1 to 3 integers, got " + args.size());
        long start = args.size() == 1 ? 0 : args.get(0), stop = args.size() == 1 ? args.get(0) : args.get(1);
        long step = args.size() == 3 ? args.get(2) : 1;
        if (step == 0) throw error(t, "range(...) step must not be zero");
        ArrayNode out = F.arrayNode();
        for (long v = start; step > 0 ? v < stop : v > stop; v += step) {
            if (out.size() >= 1_000_000) throw error(t, "range(...) longer than a million items");
            out.add(integral(v));
        }
        return out;
    }

    private ObjectNode dictLiteral() {
        if (topLevelFor() >= 0) throw error(tokens.get(topLevelFor()), "dict comprehensions are not supported: write the dict out");
        ObjectNode d = F.objectNode();
        while (!acceptOp("}")) {
            Token k = peek();
            JsonNode key = expression();
            if (!key.isTextual()) throw error(k, "dict keys must be strings");
            expectOp(":", "':' after a dict key");
            d.set(key.asText(), expression());
            if (!acceptOp(",")) {
                expectOp("}", "',' or '}'");
                break;
            }
        }
        return d;
    }

    private ArrayNode list(String close) {
        return listRest(F.arrayNode(), close);
    }

    private ArrayNode listRest(ArrayNode a, String close) {
        int forAt = topLevelFor();
        if (forAt >= 0) {
            if (!a.isEmpty() || !close.equals("]")) throw error(tokens.get(forAt), "only list comprehensions [x for v in items] are supported");
            return comprehension(forAt);
        }
        while (!acceptOp(close)) {
            a.add(expression());
            if (!acceptOp(",")) {
                expectOp(close, "',' or '" + close + "'");
                break;
            }
        }
        return a;
    }

    /** The index of a {@code for} inside the brackets just opened (before they close), or -1: a comprehension. */
    private int topLevelFor() {
        int depth = 0;
        for (int k = pos; k < tokens.size(); k++) {
            Token t = tokens.get(k);
            if (t.kind == Kind.OP && "([{".contains(t.text)) depth++;
            else if (t.kind == Kind.OP && ")]}".contains(t.text) && depth-- == 0) return -1;
            else if (t.kind == Kind.NAME && t.text.equals("for") && depth == 0) return k;
            else if (t.kind == Kind.END) return -1;
        }
        return -1;
    }

    /**
     * {@code [EXPR for v in ITEMS]} from the first token of EXPR ({@code forAt}: its {@code for}): EXPR evaluated once
     * per item with {@code v} bound to it, as Python; the closing bracket consumed.
     */
    private ArrayNode comprehension(int forAt) {
        int exprStart = pos;
        pos = forAt + 1;
        Token var = expect(Kind.NAME, "a loop variable after 'for'");
        if (peek().kind == Kind.OP && peek().text.equals(","))
            throw error(peek(), "one loop variable only ([x for v in items])");
        Token in = expect(Kind.NAME, "'in' after the loop variable");
        if (!in.text.equals("in")) throw error(in, "expected 'in' after the loop variable, found " + in.text);
        JsonNode items = expression();
        if (peek().kind == Kind.NAME && (peek().text.equals("for") || peek().text.equals("if")))
            throw error(peek(), "only [x for v in items] comprehensions are supported (one 'for', no 'if')");
        expectOp("]", "']' closing the comprehension");
        if (!items.isArray()) throw error(in, "a comprehension iterates over a list or tuple here, got " + kind(items));
        int end = pos;
        JsonNode shadowed = locals.get(var.text);
        ArrayNode out = F.arrayNode();
        try {
            for (JsonNode item : items) {
                locals.put(var.text, item);
                pos = exprStart;
                out.add(expression());
                if (pos != forAt) throw error(tokens.get(pos), "unexpected " + tokens.get(pos).describe() + " before 'for'");
            }
        } finally {
            if (shadowed == null) locals.remove(var.text);
            else locals.put(var.text, shadowed);
        }
        pos = end;
        return out;
    }

    /** An int node when the value fits (as YAML gives), else a long one. */
    private static JsonNode integral(long v) {
        return v == (int) v ? F.numberNode((int) v) : F.numberNode(v);
    }

    private JsonNode number(Token t) {
        String s = t.text.replace("_", "");
        try {
            if (s.matches("[0-9]+")) return integral(Long.parseLong(s));
            return F.numberNode(Double.parseDouble(s));
        } catch (NumberFormatException e) {
            throw error(t, "not a number: " + t.text);
        }
    }

    private JsonNode arithmetic(Token op, JsonNode a, JsonNode b) {
        String o = op.text;
        if (o.equals("+") && a.isTextual() && b.isTextual()) return F.textNode(a.asText() + b.asText());
        if (o.equals("+") && a.isArray() && b.isArray()) return ((ArrayNode) a.deepCopy()).addAll((ArrayNode) b);
        if (o.equals("*") && (a.isArray() || a.isTextual()) && b.isIntegralNumber()) return repeat(op, a, b.asLong());
        if (o.equals("*") && (b.isArray() || b.isTextual()) && a.isIntegralNumber()) return repeat(op, b, a.asLong());
        if (!a.isNumber() || !b.isNumber()) throw error(op, "'" + o + "' between " + kind(a) + " and " + kind(b) + " is not supported");
        boolean ints = a.isIntegralNumber() && b.isIntegralNumber();
        switch (o) {
            case "+": return ints ? integral(a.asLong() + b.asLong()) : F.numberNode(a.asDouble() + b.asDouble());
            case "-": return ints ? integral(a.asLong() - b.asLong()) : F.numberNode(a.asDouble() - b.asDouble());
            case "*": return ints ? integral(a.asLong() * b.asLong()) : F.numberNode(a.asDouble() * b.asDouble());
            case "/": return F.numberNode(a.asDouble() / b.asDouble());
            default: // "//"
                if (ints) return integral(Math.floorDiv(a.asLong(), b.asLong()));
                return F.numberNode(Math.floor(a.asDouble() / b.asDouble()));
        }
    }

    /** Python's {@code seq * n} for a list or string: n copies in a row (none when n ≤ 0). */
    private JsonNode repeat(Token op, JsonNode seq, long n) {
        long size = seq.isArray() ? seq.size() : seq.asText().length();
        if (n > 0 && size * n > 1_000_000) throw error(op, "'*' would make more than a million items");
        if (seq.isTextual()) return F.textNode(n <= 0 ? "" : seq.asText().repeat((int) n));
        ArrayNode out = F.arrayNode();
        for (long i = 0; i < n; i++) for (JsonNode v : seq) out.add(v.deepCopy());
        return out;
    }

    private static String kind(JsonNode v) {
        return v.isTextual() ? "a string" : v.isNumber() ? "a number" : v.isArray() ? "a list" : v.isObject() ? "a dict" : String.valueOf(v);
    }

    // ------------------------------------------------------------------------------------------ tokens

    private Token peek() { return tokens.get(pos); }

    private Token next() { return tokens.get(pos++); }

    private boolean accept(Kind k) {
        if (peek().kind != k) return false;
        pos++;
        return true;
    }

    private boolean acceptOp(String op) {
        if (peek().kind != Kind.OP || !peek().text.equals(op)) return false;
        pos++;
        return true;
    }

    private Token expect(Kind k, String what) {
        Token t = next();
        if (t.kind != k) throw error(t, "expected " + what + ", found " + t.describe());
        return t;
    }

    private void expectOp(String op, String what) {
        Token t = next();
        if (t.kind != Kind.OP || !t.text.equals(op)) throw error(t, "expected " + what + ", found " + t.describe());
    }

    private ConfigException error(Token t, String problem) {
        return new ConfigException(source, "", "line " + t.line + ": " + problem);
    }

    enum Kind { NAME, NUMBER, STRING, OP, NEWLINE, END }

    record Token(Kind kind, String text, int line) {
        String describe() {
            return switch (kind) {
                case NEWLINE -> "the end of the line";
                case END -> "the end of the file";
                case STRING -> "a string";
                default -> "'" + text + "'";
            };
        }
    }

    /** Python's tokens for this subset; newlines inside brackets and after a backslash are not statement ends. */
    private static final class Lexer {
        private final String source, s;
        private int i, line = 1, depth;
        private final List<Token> out = new ArrayList<>();

        Lexer(String source, String text) {
            this.source = source;
            this.s = text;
        }

        List<Token> tokens() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '#') {
                    while (i < s.length() && s.charAt(i) != '\n') i++;
                } else if (c == '\\' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i += 2;
                    line++;
                } else if (c == '\n') {
                    if (depth == 0 && !out.isEmpty() && out.get(out.size() - 1).kind != Kind.NEWLINE) out.add(new Token(Kind.NEWLINE, "\n", line));
                    i++;
                    line++;
                } else if (Character.isWhitespace(c)) {
                    i++;
                } else if (Character.isLetter(c) || c == '_') {
                    int b = i;
                    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) i++;
                    String word = s.substring(b, i);
                    if (i < s.length() && (s.charAt(i) == '\'' || s.charAt(i) == '"') && word.matches("[rRbBuUfF]{1,2}"))
                        throw new ConfigException(source, "", "line " + line + ": string prefixes (" + word + "'...') are not supported");
                    out.add(new Token(Kind.NAME, word, line));
                } else if (Character.isDigit(c) || (c == '.' && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1)))) {
                    int b = i;
                    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.' || s.charAt(i) == '_'
                            || ((s.charAt(i) == '-' || s.charAt(i) == '+') && (s.charAt(i - 1) == 'e' || s.charAt(i - 1) == 'E')))) i++;
                    out.add(new Token(Kind.NUMBER, s.substring(b, i), line));
                } else if (c == '\'' || c == '"') {
                    out.add(new Token(Kind.STRING, string(c), line));
                } else {
                    String op = s.startsWith("**", i) ? "**" : s.startsWith("//", i) ? "//" : String.valueOf(c);
                    if ("([{".contains(op)) depth++;
                    if (")]}".contains(op)) depth = Math.max(0, depth - 1);
                    if (!"()[]{},:=+-*/.".contains(op) && !op.equals("**") && !op.equals("//"))
                        throw new ConfigException(source, "", "line " + line + ": unexpected character '" + c + "'");
                    out.add(new Token(Kind.OP, op, line));
                    i += op.length();
                }
            }
            out.add(new Token(Kind.END, "", line));
            return out;
        }

        private String string(char q) {
            boolean triple = s.startsWith(String.valueOf(q).repeat(3), i);
            String end = triple ? String.valueOf(q).repeat(3) : String.valueOf(q);
            int startLine = line;
            i += end.length();
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length() || (!triple && s.charAt(i) == '\n'))
                    throw new ConfigException(source, "", "line " + startLine + ": unterminated string");
                if (s.startsWith(end, i)) {
                    i += end.length();
                    return b.toString();
                }
                char c = s.charAt(i++);
                if (c == '\n') line++;
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = i < s.length() ? s.charAt(i++) : '\\';
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case '\\', '\'', '"' -> b.append(e);
                    case '\n' -> line++;
                    default -> b.append('\\').append(e);
                }
            }
        }
    }
}
