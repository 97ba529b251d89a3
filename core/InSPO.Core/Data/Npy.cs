using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace InSPO.Data;

/// <summary>
/// One n-dimensional array as stored in a NumPy .npy file: a little-endian dtype, a C-order shape
/// and the flat data as a typed .NET array (<c>float[]</c> for "&lt;f4", <c>double[]</c> for
/// "&lt;f8", <c>int[]</c> for "&lt;i4", <c>long[]</c> for "&lt;i8", <c>byte[]</c> for "|u1",
/// <c>bool[]</c> for "|b1").
/// </summary>
public sealed class NpyArray
{
    /// <summary>NumPy dtype string, normalised: one of <see cref="Npy.SupportedDtypes"/>.</summary>
    public string Dtype { get; }

    /// <summary>Dimensions in C (row-major) order; empty for a 0-d array.</summary>
    public long[] Shape { get; }

    /// <summary>The elements, row-major; the array type follows <see cref="Dtype"/>.</summary>
    public Array Data { get; }

    /// <summary>Where the array was read from (for error messages); null for arrays built in memory.</summary>
    public string? Source { get; }

    /// <summary>Number of elements (product of the shape).</summary>
    public long Count => Data.LongLength;

    public NpyArray(string dtype, long[] shape, Array data, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        var expected = Npy.ElementType(dtype)
            ?? throw new ArgumentException($"unsupported dtype '{dtype}' (supported: {string.Join(", ", Npy.SupportedDtypes)})", nameof(dtype));
        if (data.GetType().GetElementType() != expected || data.Rank != 1)
            throw new ArgumentException($"dtype '{dtype}' needs a {expected.Name}[] but got {data.GetType().Name}", nameof(data));
        var count = Npy.ElementCount(shape)
            ?? throw new ArgumentException($"shape {Npy.FormatShape(shape)} has a negative dimension or is too large", nameof(shape));
        if (count != data.LongLength)
            throw new ArgumentException($"shape {Npy.FormatShape(shape)} holds {count} elements but data has {data.LongLength}", nameof(data));
        Dtype = dtype;
        Shape = (long[])shape.Clone();
        Data = data;
        Source = source;
    }

    public NpyArray(float[] data, params long[] shape) : this("<f4", shape, data) { }
    public NpyArray(double[] data, params long[] shape) : this("<f8", shape, data) { }
    public NpyArray(int[] data, params long[] shape) : this("<i4", shape, data) { }
    public NpyArray(long[] data, params long[] shape) : this("<i8", shape, data) { }
    public NpyArray(byte[] data, params long[] shape) : this("|u1", shape, data) { }
    public NpyArray(bool[] data, params long[] shape) : this("|b1", shape, data) { }

    /// <summary>The same elements stored as "|u1" (0/1): the on-disk form of masks and flags.</summary>
    public static NpyArray BoolsAsBytes(bool[] data, params long[] shape)
    {
        var bytes = new byte[data.Length];
        for (var i = 0; i < data.Length; i++) bytes[i] = data[i] ? (byte)1 : (byte)0;
        return new NpyArray(bytes, shape);
    }

    /// <summary>
    /// The elements as float32. Refuses values that float32 cannot hold: finite doubles beyond its
    /// range and integers beyond ±2^24 (the largest range where every integer is exact).
    /// </summary>
    public float[] ToFloatArray()
    {
        const long exact = 1L << 24;
        switch (Data)
        {
            case float[] f: return (float[])f.Clone();
            case double[] d:
                return ConvertEach(d, v => double.IsFinite(v) && Math.Abs(v) > float.MaxValue ? null : (float?)v, "float32");
            case int[] i: return ConvertEach(i, v => Math.Abs((long)v) > exact ? null : (float?)v, "float32 exactly");
            case long[] l: return ConvertEach(l, v => v > exact || v < -exact ? null : (float?)v, "float32 exactly");
            case byte[] b: return Array.ConvertAll(b, v => (float)v);
            case bool[] z: return Array.ConvertAll(z, v => v ? 1f : 0f);
            default: throw new InvalidOperationException("unreachable: dtype checked in constructor");
        }
    }

    /// <summary>The elements as int32. Refuses integers beyond int32 and non-integral floats.</summary>
    public int[] ToInt32Array()
    {
        switch (Data)
        {
            case int[] i: return (int[])i.Clone();
            case long[] l: return ConvertEach(l, v => v is < int.MinValue or > int.MaxValue ? null : (int?)v, "int32");
            case byte[] b: return Array.ConvertAll(b, v => (int)v);
            case bool[] z: return Array.ConvertAll(z, v => v ? 1 : 0);
            case float[] f: return ConvertEach(f, v => IntegralInt32(v), "int32 (not a whole number in range)");
            case double[] d: return ConvertEach(d, IntegralInt32, "int32 (not a whole number in range)");
            default: throw new InvalidOperationException("unreachable: dtype checked in constructor");
        }
    }

    /// <summary>The elements as booleans. Refuses anything but 0 and 1.</summary>
    public bool[] ToBoolArray()
    {
        switch (Data)
        {
            case bool[] z: return (bool[])z.Clone();
            case byte[] b: return ConvertEach(b, v => v <= 1 ? v == 1 : (bool?)null, "a boolean (0 or 1)");
            case int[] i: return ConvertEach(i, v => v is 0 or 1 ? v == 1 : (bool?)null, "a boolean (0 or 1)");
            case long[] l: return ConvertEach(l, v => v is 0 or 1 ? v == 1 : (bool?)null, "a boolean (0 or 1)");
            case float[] f: return ConvertEach(f, v => v is 0f or 1f ? v == 1f : (bool?)null, "a boolean (0 or 1)");
            case double[] d: return ConvertEach(d, v => v is 0d or 1d ? v == 1d : (bool?)null, "a boolean (0 or 1)");
            default: throw new InvalidOperationException("unreachable: dtype checked in constructor");
        }
    }

    /// <summary>Row-major flat index → "(i, j, k)", so a range error points at the element.</summary>
    public string FormatIndex(long flat)
    {
        if (Shape.Length == 0) return "()";
        var idx = new long[Shape.Length];
        for (var d = Shape.Length - 1; d >= 0; d--)
        {
            idx[d] = Shape[d] == 0 ? 0 : flat % Shape[d];
            flat = Shape[d] == 0 ? 0 : flat / Shape[d];
        }
        return "(" + string.Join(", ", idx) + ")";
    }

    private static int? IntegralInt32(double v) =>
        Math.Floor(v) == v && v >= int.MinValue && v <= int.MaxValue ? (int)v : null;

    private TOut[] ConvertEach<TIn, TOut>(TIn[] source, Func<TIn, TOut?> convert, string target)
        where TOut : struct
    {
        var result = new TOut[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            var v = convert(source[i]);
            if (v is null)
                throw new DatasetFormatException(
                    $"{Source ?? "array"}: value {System.Convert.ToString(source[i], CultureInfo.InvariantCulture)} at index {FormatIndex(i)} " +
                    $"of dtype {Dtype} does not convert to {target}");
            result[i] = v.Value;
        }
        return result;
    }
}

/// <summary>
/// Reader and writer of NumPy's .npy format (format versions 1.0, 2.0 and 3.0;
/// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), restricted to
/// what the project stores: little-endian numeric and boolean dtypes in C order. Files written
/// here are byte-identical to <c>numpy.save</c> of the same array, so Python reads them with no code.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // NumPy aligns the data to 64 bytes so that it can be memory-mapped.
    private const int ArrayAlign = 64;

    // Recent NumPy reserves spaces after the header so that the first axis can grow in place;
    // writing the same padding keeps our files byte-identical to numpy.save.
    private const int GrowthAxisMaxDigits = 21;

    /// <summary>The dtypes this reader and writer accept, in normalised form.</summary>
    public static IReadOnlyList<string> SupportedDtypes { get; } = ["<f4", "<f8", "<i4", "<i8", "|u1", "|b1"];

    /// <summary>.NET element type for a normalised dtype; null if unsupported.</summary>
    public static Type? ElementType(string dtype) => dtype switch
    {
        "<f4" => typeof(float),
        "<f8" => typeof(double),
        "<i4" => typeof(int),
        "<i8" => typeof(long),
        "|u1" => typeof(byte),
        "|b1" => typeof(bool),
        _ => null,
    };

    /// <summary>Bytes per element of a normalised dtype.</summary>
    public static int ItemSize(string dtype) => dtype switch
    {
        "<f4" or "<i4" => 4,
        "<f8" or "<i8" => 8,
        "|u1" or "|b1" => 1,
        _ => throw new ArgumentException($"unsupported dtype '{dtype}'", nameof(dtype)),
    };

    /// <summary>Python's repr of a shape tuple: "()", "(5,)", "(500, 51, 1)".</summary>
    public static string FormatShape(IReadOnlyList<long> shape) =>
        shape.Count == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";

    /// <summary>Product of the dimensions; null when a dimension is negative or the product overflows.</summary>
    public static long? ElementCount(IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) return null;
            try { count = checked(count * d); }
            catch (OverflowException) { return null; }
        }
        return count;
    }

    // ------------------------------------------------------------------ reading

    /// <summary>Reads a whole .npy file. Any problem is a one-line <see cref="DatasetFormatException"/> naming the file.</summary>
    public static NpyArray Read(string path)
    {
        FileStream stream;
        try { stream = File.OpenRead(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetFormatException($"{path}: file not found");
        }
        using (stream) return Read(stream, path);
    }

    /// <summary>Reads one array from a stream positioned at the magic string; <paramref name="name"/> goes into messages.</summary>
    public static NpyArray Read(Stream stream, string name)
    {
        EnsureLittleEndianHost();
        var header = ReadHeader(stream, name);
        var itemSize = ItemSize(header.Dtype);
        var count = ElementCount(header.Shape) ?? throw Fail(name, $"malformed header: shape {FormatShape(header.Shape)} is invalid");
        long needed;
        try { needed = checked(count * itemSize); }
        catch (OverflowException) { throw Fail(name, $"malformed header: shape {FormatShape(header.Shape)} is too large"); }
        if (count > Array.MaxLength) throw Fail(name, $"array of {count} elements is too large to load");

        // Check the size up front where we can: a clear message beats a half-filled array.
        if (stream.CanSeek)
        {
            var available = stream.Length - stream.Position;
            if (available < needed)
                throw Fail(name, $"truncated data: shape {FormatShape(header.Shape)} of {header.Dtype} needs {needed} bytes, file has {available}");
            if (available > needed)
                throw Fail(name, $"{available - needed} unexpected bytes after the data of shape {FormatShape(header.Shape)} {header.Dtype}");
        }

        Array data = header.Dtype switch
        {
            "<f4" => new float[count],
            "<f8" => new double[count],
            "<i4" => new int[count],
            "<i8" => new long[count],
            _ => new byte[count], // |u1, and |b1 before its 0/1 check below
        };
        var bytes = data switch
        {
            float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
            double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
            int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
            long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
            byte[] a => a.AsSpan(),
            _ => throw new InvalidOperationException("unreachable"),
        };
        var got = ReadFully(stream, bytes);
        if (got < bytes.Length)
            throw Fail(name, $"truncated data: shape {FormatShape(header.Shape)} of {header.Dtype} needs {needed} bytes, file has {got}");

        if (header.Dtype == "|b1")
        {
            var raw = (byte[])data;
            var flags = new bool[raw.Length];
            for (var i = 0; i < raw.Length; i++)
            {
                if (raw[i] > 1) throw Fail(name, $"bool element {i} holds byte {raw[i]} (must be 0 or 1)");
                flags[i] = raw[i] == 1;
            }
            data = flags;
        }
        return new NpyArray(header.Dtype, header.Shape, data, name);
    }

    /// <summary>What a .npy header says, with the dtype normalised.</summary>
    public readonly record struct Header(int MajorVersion, int MinorVersion, string Dtype, long[] Shape, long DataOffset);

    /// <summary>Reads and validates the header only; the stream is left at the first data byte.</summary>
    public static Header ReadHeader(Stream stream, string name)
    {
        var prefix = new byte[8];
        var got = ReadFully(stream, prefix);
        if (got < Magic.Length || !prefix.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw Fail(name, "bad magic: not a NumPy .npy file");
        if (got < 8) throw Fail(name, "malformed header: file ends inside the version number");
        int major = prefix[6], minor = prefix[7];
        if (major is < 1 or > 3 || minor != 0)
            throw Fail(name, $"unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)");

        var lengthBytes = new byte[major == 1 ? 2 : 4];
        if (ReadFully(stream, lengthBytes) < lengthBytes.Length)
            throw Fail(name, "malformed header: file ends inside the header length");
        long headerLength = major == 1 ? BitConverter.ToUInt16(lengthBytes) : BitConverter.ToUInt32(lengthBytes);
        if (headerLength > 100_000_000) throw Fail(name, $"malformed header: implausible header length {headerLength}");
        var headerBytes = new byte[headerLength];
        if (ReadFully(stream, headerBytes) < headerBytes.Length)
            throw Fail(name, $"malformed header: file ends inside the {headerLength}-byte header");
        // Versions 1 and 2 use latin-1; version 3 exists only to allow UTF-8 (structured field names).
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var (descr, fortranOrder, shape) = ParseHeaderDict(text, name);
        if (fortranOrder) throw Fail(name, "fortran_order True is not supported (only C order)");
        var dtype = NormaliseDtype(descr, name);
        return new Header(major, minor, dtype, shape, 8 + lengthBytes.Length + headerLength);
    }

    /// <summary>Maps NumPy's spellings of one dtype to ours ("=f4" on a little-endian host, "&lt;u1", ...).</summary>
    private static string NormaliseDtype(string descr, string name)
    {
        if (descr.Length < 3) throw Fail(name, $"unknown dtype '{descr}'");
        var order = descr[0];
        var kindSize = descr[1..];
        if (order is not ('<' or '>' or '|' or '=')) throw Fail(name, $"unknown dtype '{descr}'");
        // One-byte types have no byte order; NumPy writes '|' but accepts any prefix.
        if (kindSize is "u1" or "b1") return "|" + kindSize;
        if (kindSize is not ("f4" or "f8" or "i4" or "i8")) throw Fail(name, $"unknown dtype '{descr}' (supported: {string.Join(", ", SupportedDtypes)})");
        return order switch
        {
            '<' or '=' => "<" + kindSize, // '=' is native, and the host is little-endian (checked)
            '>' => throw Fail(name, $"big-endian dtype '{descr}' is not supported"),
            _ => throw Fail(name, $"unknown dtype '{descr}' (a multi-byte type needs a byte order)"),
        };
    }

    // The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
    private static (string Descr, bool FortranOrder, long[] Shape) ParseHeaderDict(string text, string name)
    {
        object? parsed;
        try { parsed = new LiteralParser(text).ParseAll(); }
        catch (FormatException e) { throw Fail(name, $"malformed header: {e.Message}"); }
        if (parsed is not Dictionary<string, object?> dict) throw Fail(name, "malformed header: not a dict");
        foreach (var key in dict.Keys)
            if (key is not ("descr" or "fortran_order" or "shape")) throw Fail(name, $"malformed header: unexpected key '{key}'");

        var descr = dict.GetValueOrDefault("descr") switch
        {
            string s => s,
            List<object?> => throw Fail(name, "unknown dtype: structured dtypes are not supported"),
            null when !dict.ContainsKey("descr") => throw Fail(name, "malformed header: missing 'descr'"),
            _ => throw Fail(name, "malformed header: 'descr' is not a string"),
        };
        var fortran = dict.GetValueOrDefault("fortran_order") switch
        {
            bool b => b,
            null when !dict.ContainsKey("fortran_order") => throw Fail(name, "malformed header: missing 'fortran_order'"),
            _ => throw Fail(name, "malformed header: 'fortran_order' is not True or False"),
        };
        if (!dict.TryGetValue("shape", out var shapeValue)) throw Fail(name, "malformed header: missing 'shape'");
        if (shapeValue is not List<object?> dims) throw Fail(name, "malformed header: 'shape' is not a tuple");
        var shape = new long[dims.Count];
        for (var i = 0; i < dims.Count; i++)
        {
            if (dims[i] is not long d || d < 0) throw Fail(name, "malformed header: 'shape' must hold non-negative integers");
            shape[i] = d;
        }
        return (descr, fortran, shape);
    }

    /// <summary>Just enough of Python's literal syntax for .npy headers: dicts, tuples/lists, strings, ints, True/False/None.</summary>
    private sealed class LiteralParser(string text)
    {
        private int _pos;

        public object? ParseAll()
        {
            var value = ParseValue();
            SkipSpace();
            if (_pos != text.Length) throw new FormatException($"unexpected '{text[_pos]}' after the dict");
            return value;
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private char Peek()
        {
            SkipSpace();
            if (_pos >= text.Length) throw new FormatException("unexpected end of header");
            return text[_pos];
        }

        private object? ParseValue()
        {
            var c = Peek();
            if (c == '{') return ParseDict();
            if (c is '(' or '[') return ParseSequence(c == '(' ? ')' : ']');
            if (c is '\'' or '"') return ParseString();
            if (char.IsDigit(c) || c == '-') return ParseInteger();
            if (char.IsLetter(c)) return ParseName();
            throw new FormatException($"unexpected '{c}'");
        }

        private Dictionary<string, object?> ParseDict()
        {
            _pos++; // '{'
            var dict = new Dictionary<string, object?>();
            while (Peek() != '}')
            {
                if (ParseValue() is not string key) throw new FormatException("dict key is not a string");
                if (Peek() != ':') throw new FormatException($"expected ':' after '{key}'");
                _pos++;
                if (!dict.TryAdd(key, ParseValue())) throw new FormatException($"duplicate key '{key}'");
                if (Peek() == ',') _pos++;
                else if (Peek() != '}') throw new FormatException("expected ',' or '}' in dict");
            }
            _pos++;
            return dict;
        }

        private List<object?> ParseSequence(char close)
        {
            _pos++;
            var items = new List<object?>();
            while (Peek() != close)
            {
                items.Add(ParseValue());
                if (Peek() == ',') _pos++;
                else if (Peek() != close) throw new FormatException($"expected ',' or '{close}'");
            }
            _pos++;
            return items;
        }

        private string ParseString()
        {
            var quote = text[_pos++];
            var sb = new StringBuilder();
            while (_pos < text.Length && text[_pos] != quote)
            {
                if (text[_pos] == '\\' && _pos + 1 < text.Length) _pos++;
                sb.Append(text[_pos++]);
            }
            if (_pos >= text.Length) throw new FormatException("unterminated string");
            _pos++;
            return sb.ToString();
        }

        private long ParseInteger()
        {
            var start = _pos;
            if (text[_pos] == '-') _pos++;
            while (_pos < text.Length && char.IsDigit(text[_pos])) _pos++;
            var digits = text[start.._pos];
            if (_pos < text.Length && text[_pos] is 'L' or 'l') _pos++; // Python 2 longs in old headers
            if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                throw new FormatException($"bad integer '{digits}'");
            return value;
        }

        private object? ParseName()
        {
            var start = _pos;
            while (_pos < text.Length && char.IsLetterOrDigit(text[_pos])) _pos++;
            return text[start.._pos] switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                var other => throw new FormatException($"unexpected name '{other}'"),
            };
        }
    }

    // ------------------------------------------------------------------ writing

    /// <summary>
    /// Writes an array atomically: into a temporary file in the same directory, flushed to disk,
    /// then renamed over <paramref name="path"/>, so a reader never sees a partial file.
    /// </summary>
    public static void Write(string path, NpyArray array)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"no directory in '{path}'", nameof(path));
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Write(stream, array);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes header and data to a stream, exactly as <c>numpy.save</c> would.</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        EnsureLittleEndianHost();
        stream.Write(EncodeHeader(array.Dtype, array.Shape));
        switch (array.Data)
        {
            case float[] a: stream.Write(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case double[] a: stream.Write(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case int[] a: stream.Write(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case long[] a: stream.Write(MemoryMarshal.AsBytes(a.AsSpan())); break;
            case byte[] a: stream.Write(a); break;
            case bool[] a:
                // Spelled out rather than reinterpreted: a bool's byte is only guaranteed nonzero, not 1.
                var buffer = new byte[Math.Min(a.Length, 1 << 16)];
                for (var start = 0; start < a.Length; start += buffer.Length)
                {
                    var n = Math.Min(buffer.Length, a.Length - start);
                    for (var i = 0; i < n; i++) buffer[i] = a[start + i] ? (byte)1 : (byte)0;
                    stream.Write(buffer, 0, n);
                }
                break;
            default: throw new InvalidOperationException("unreachable: dtype checked in constructor");
        }
    }

    /// <summary>Magic, version, length and padded header text; version 1.0 unless the header needs 2.0.</summary>
    public static byte[] EncodeHeader(string dtype, IReadOnlyList<long> shape)
    {
        var text = $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {FormatShape(shape)}, }}";
        if (shape.Count > 0) text += new string(' ', Math.Max(0, GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length));
        var body = Encoding.Latin1.GetBytes(text);
        foreach (var major in new[] { 1, 2 })
        {
            var lengthSize = major == 1 ? 2 : 4;
            var withNewline = body.Length + 1;
            // Like NumPy: pad with spaces so magic + version + length + header end on a 64-byte boundary.
            var pad = ArrayAlign - (Magic.Length + 2 + lengthSize + withNewline) % ArrayAlign;
            var headerLength = (long)withNewline + pad;
            if (major == 1 && headerLength > ushort.MaxValue) continue;
            var result = new byte[Magic.Length + 2 + lengthSize + headerLength];
            Magic.CopyTo(result, 0);
            result[6] = (byte)major;
            result[7] = 0;
            if (major == 1) BitConverter.TryWriteBytes(result.AsSpan(8, 2), (ushort)headerLength);
            else BitConverter.TryWriteBytes(result.AsSpan(8, 4), (uint)headerLength);
            var at = 8 + lengthSize;
            body.CopyTo(result, at);
            result.AsSpan(at + body.Length, pad).Fill((byte)' ');
            result[^1] = (byte)'\n';
            return result;
        }
        throw new ArgumentException("header too large even for .npy version 2.0", nameof(shape));
    }

    // ------------------------------------------------------------------ helpers

    private static DatasetFormatException Fail(string name, string problem) => new($"{name}: {problem}");

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    // .npy data is little-endian and is copied to and from memory as is; .NET runs on no
    // big-endian platform today, so refuse rather than carry untested byte-swapping code.
    private static void EnsureLittleEndianHost()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("InSPO.Data.Npy needs a little-endian host");
    }

    internal static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
