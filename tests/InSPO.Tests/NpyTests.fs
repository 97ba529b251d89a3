/// NumPy .npy reading and writing (SPEC 6): round trips for every supported dtype, NumPy's own
/// files (the reference Bridge data), hand-made headers of other versions and every refusal.
module InSPO.Tests.NpyTests

open System
open System.IO
open System.Text
open Expecto
open InSPO.Data

let private supported = [ "<f4"; "<f8"; "<i4"; "<i8"; "|u1"; "|b1" ]

/// Random elements of a dtype; floats come from random bit patterns, so NaN, ±inf and
/// subnormals are covered too.
let private randomData (rng: Random) (dtype: string) (count: int) : Array =
    match dtype with
    | "<f4" -> Array.init count (fun _ -> BitConverter.Int32BitsToSingle(rng.Next() ^^^ (rng.Next() <<< 1))) :> Array
    | "<f8" -> Array.init count (fun _ -> BitConverter.Int64BitsToDouble(rng.NextInt64() ^^^ (rng.NextInt64() <<< 1))) :> Array
    | "<i4" -> Array.init count (fun _ -> rng.Next(Int32.MinValue, Int32.MaxValue)) :> Array
    | "<i8" -> Array.init count (fun _ -> rng.NextInt64(Int64.MinValue, Int64.MaxValue)) :> Array
    | "|u1" -> let b = Array.zeroCreate<byte> count in rng.NextBytes b; b :> Array
    | "|b1" -> Array.init count (fun _ -> rng.Next 2 = 1) :> Array
    | other -> failwithf "no generator for %s" other

/// Elements as 64-bit patterns, so NaNs compare equal to themselves bit for bit.
let private bits (data: Array) : int64[] =
    match data with
    | :? (float32[]) as a -> a |> Array.map (BitConverter.SingleToInt32Bits >> int64)
    | :? (float[]) as a -> a |> Array.map BitConverter.DoubleToInt64Bits
    | :? (int[]) as a -> a |> Array.map int64
    | :? (int64[]) as a -> a
    | :? (byte[]) as a -> a |> Array.map int64
    | :? (bool[]) as a -> a |> Array.map (fun b -> if b then 1L else 0L)
    | _ -> failwithf "unexpected array %s" (data.GetType().Name)

let private encode (array: NpyArray) =
    use ms = new MemoryStream()
    Npy.Write(ms, array)
    ms.ToArray()

let private decode (bytes: byte[]) name =
    use ms = new MemoryStream(bytes)
    Npy.Read(ms, name)

/// A .npy file from its parts, for headers and data NumPy would (or would not) write.
let private craft (major: byte) (header: string) (data: byte[]) =
    let text = Encoding.Latin1.GetBytes(header + "\n")
    let length =
        if major = 1uy then BitConverter.GetBytes(uint16 text.Length)
        else BitConverter.GetBytes(uint32 text.Length)
    Array.concat [ [| 0x93uy |]; Encoding.ASCII.GetBytes "NUMPY"; [| major; 0uy |]; length; text; data ]

/// The message of the DatasetFormatException that f throws; fails the test if it throws nothing.
let formatError (f: unit -> 'a) : string =
    let message =
        try
            f () |> ignore
            None
        with :? DatasetFormatException as e -> Some e.Message
    match message with
    | None -> failtest "expected a DatasetFormatException, got none"
    | Some m ->
        Expect.isFalse (m.Contains '\n' || m.Contains '\r') (sprintf "message is one line: %s" m)
        m

/// Writes bytes as a file under a fresh scratch folder and returns the refusal of reading it.
let private refusal (name: string) (bytes: byte[]) =
    let path = Path.Combine(TestPaths.scratchDir "npy-bad", name)
    File.WriteAllBytes(path, bytes)
    path, formatError (fun () -> Npy.Read path)

let private expectRefusal (name: string) (bytes: byte[]) (problem: string list) =
    let path, message = refusal name bytes
    Expect.stringContains message path "the message names the file"
    for p in problem do
        Expect.stringContains message p "the message names the problem"

let private f4 (values: float32[]) = values |> Array.collect BitConverter.GetBytes

let private bridge = Path.Combine(TestPaths.sharedData, "bridge", "optimal")

let private requireBridge () =
    if not (Directory.Exists bridge) then
        skiptest (sprintf "reference data %s is absent (see shared/data/README.md)" bridge)

let private roundTrip dtype =
    testPropertyWithConfig { FsCheckConfig.defaultConfig with maxTest = 100 } (sprintf "%s round-trips any C-order shape" dtype)
    <| fun (seed: int) (dims: byte list) ->
        let shape = dims |> List.truncate 4 |> List.map (fun d -> int64 (d % 7uy)) |> Array.ofList
        let count = shape |> Array.fold (*) 1L |> int
        let data = randomData (Random seed) dtype count
        let array = NpyArray(dtype, shape, data)
        let bytes = encode array
        let headerLength = bytes.Length - count * Npy.ItemSize dtype
        Expect.equal (headerLength % 64) 0 "data starts on a 64-byte boundary, as NumPy aligns it"
        Expect.equal bytes[6] 1uy "small headers use format version 1.0"
        let header = Encoding.Latin1.GetString(bytes, 10, headerLength - 10)
        Expect.stringStarts header (sprintf "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" dtype (Npy.FormatShape shape)) "NumPy's header text"
        Expect.isTrue (header.EndsWith "\n") "header ends with a newline"
        let back = decode bytes "memory"
        Expect.equal back.Dtype dtype "dtype"
        Expect.equal back.Shape shape "shape"
        Expect.equal (back.Data.GetType()) (data.GetType()) "element type"
        Expect.equal (bits back.Data) (bits data) "elements, bit for bit"
        // The file writer gives the same bytes as the stream writer.
        let path = Path.Combine(TestPaths.scratchDir "npy-prop", "a.npy")
        Npy.Write(path, array)
        Expect.equal (File.ReadAllBytes path) bytes "file and stream writers agree"

[<Tests>]
let tests =
    testList "npy" [
        testList "round trip" [ for dtype in supported -> roundTrip dtype ]

        test "1-d and 0-d shapes are written as Python tuples" {
            let one = Encoding.Latin1.GetString(encode (NpyArray([| 1; 2; 3 |], 3L)))
            Expect.stringContains one "'shape': (3,), }" "one-element tuple has a trailing comma"
            let scalar = encode (NpyArray([| 2.5 |]))
            Expect.stringContains (Encoding.Latin1.GetString scalar) "'shape': (), }" "0-d shape"
            let back = decode scalar "scalar"
            Expect.equal back.Shape [||] "0-d shape read back"
            Expect.equal (back.Data :?> float[]) [| 2.5 |] "0-d value read back"
        }

        test "a header longer than 65535 bytes is written as version 2.0 and read back" {
            let shape = Array.create 22000 1L
            let bytes = encode (NpyArray([| 7.0f |], shape))
            Expect.equal (bytes[6], bytes[7]) (2uy, 0uy) "version 2.0"
            let headerLength = BitConverter.ToUInt32(bytes, 8)
            Expect.isGreaterThan headerLength 65535u "header needs the 4-byte length"
            Expect.equal ((12 + int headerLength) % 64) 0 "still 64-byte aligned"
            let back = decode bytes "big-header"
            Expect.equal back.Shape.Length 22000 "every dimension"
            Expect.equal (back.Data :?> float32[]) [| 7.0f |] "the element"
        }

        test "reads a hand-made version 2.0 header" {
            let data = [| 1; -2; 3; 40000; -50000; 6 |] |> Array.collect BitConverter.GetBytes
            let bytes = craft 2uy "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }   " data
            let a = decode bytes "v2"
            Expect.equal a.Dtype "<i4" "dtype"
            Expect.equal a.Shape [| 2L; 3L |] "shape"
            Expect.equal (a.Data :?> int[]) [| 1; -2; 3; 40000; -50000; 6 |] "values"
        }

        test "reads version 3.0 and NumPy's other spellings of the same dtypes" {
            let v3 = decode (craft 3uy "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }" (BitConverter.GetBytes 1.5)) "v3"
            Expect.equal (v3.Data :?> float[]) [| 1.5 |] "version 3.0 (UTF-8 header)"
            let native = decode (craft 1uy "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"=f4\"}" (f4 [| 1.0f; 2.0f |])) "native"
            Expect.equal native.Dtype "<f4" "'=' is the little-endian host order; key order and quotes are free"
            let u1 = decode (craft 1uy "{'descr': '<u1', 'fortran_order': False, 'shape': (2L,), }" [| 3uy; 250uy |]) "u1"
            Expect.equal (u1.Dtype, u1.Data :?> byte[]) ("|u1", [| 3uy; 250uy |]) "'<u1' is '|u1'; Python 2 long '2L' accepted"
        }

        test "reads the reference reward.npy (float32, NumPy-written) and rewrites it byte for byte" {
            requireBridge ()
            let path = Path.Combine(bridge, "reward.npy")
            let reward = Npy.Read path
            Expect.equal reward.Dtype "<f4" "float32"
            Expect.equal reward.Shape [| 500L; 51L; 1L |] "(500, 51, 1)"
            Expect.equal reward.Source path "source recorded for messages"
            let filled = (Npy.Read(Path.Combine(bridge, "filled.npy"))).ToBoolArray()
            let r = reward.Data :?> float32[]
            let returns = Array.init 500 (fun e -> Seq.sum (seq { for t in 0..50 do if filled[e * 51 + t] then float r[e * 51 + t] }))
            Expect.floatClose { absolute = 5e-4; relative = 0.0 } (Array.average returns) -1.262 "mean return (README)"
            Expect.floatClose { absolute = 5e-4; relative = 0.0 } (Array.min returns) -1.2904 "min return (SPEC 5.2)"
            Expect.floatClose { absolute = 5e-4; relative = 0.0 } (Array.max returns) -1.2355 "max return (SPEC 5.2)"
            Expect.equal (encode reward) (File.ReadAllBytes path) "our writer reproduces numpy.save's bytes"
        }

        test "reads the reference actions.npy (int64) and terminated.npy (uint8)" {
            requireBridge ()
            let actions = Npy.Read(Path.Combine(bridge, "actions.npy"))
            Expect.equal (actions.Dtype, actions.Shape) ("<i8", [| 500L; 51L; 2L; 1L |]) "int64 (500, 51, 2, 1)"
            let a = actions.ToInt32Array()
            Expect.equal (Array.min a, Array.max a) (0, 4) "Bridge actions 0..4"
            let terminated = Npy.Read(Path.Combine(bridge, "terminated.npy"))
            Expect.equal (terminated.Dtype, terminated.Shape) ("|u1", [| 500L; 51L; 1L |]) "uint8 (500, 51, 1)"
            let t = terminated.ToBoolArray()
            for e in 0..499 do
                let ends = [ for s in 0..50 do if t[e * 51 + s] then s ]
                Expect.equal ends [ 7 ] (sprintf "optimal episode %d ends after exactly 8 steps" e)
            Expect.equal (encode actions) (File.ReadAllBytes(Path.Combine(bridge, "actions.npy"))) "actions rewritten byte for byte"
        }

        test "Write replaces a file atomically and leaves no temporary file" {
            let dir = TestPaths.scratchDir "npy-atomic"
            let path = Path.Combine(dir, "x.npy")
            Npy.Write(path, NpyArray([| 1.0f; 2.0f |], 2L))
            Npy.Write(path, NpyArray([| 3L |], 1L))
            Expect.equal (Directory.GetFiles dir |> Array.map Path.GetFileName) [| "x.npy" |] "only the target file"
            let back = Npy.Read path
            Expect.equal (back.Dtype, back.Data :?> int64[]) ("<i8", [| 3L |]) "the second array"
        }

        testList "refusals name the file and the problem" [
            test "bad magic" { expectRefusal "magic.npy" (Encoding.ASCII.GetBytes "PK\003\004 not numpy at all") [ "bad magic" ] }
            test "empty file" { expectRefusal "empty.npy" [||] [ "bad magic" ] }
            test "unsupported version" {
                expectRefusal "v4.npy" (craft 4uy "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" (f4 [| 1.0f |]))
                    [ "unsupported .npy format version 4.0" ]
            }
            test "unknown dtype" {
                expectRefusal "c8.npy" (craft 1uy "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }" (Array.zeroCreate 8))
                    [ "unknown dtype '<c8'" ]
            }
            test "structured dtype" {
                expectRefusal "rec.npy" (craft 1uy "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }" (f4 [| 1.0f |]))
                    [ "structured dtypes" ]
            }
            test "big-endian" {
                expectRefusal "be.npy" (craft 1uy "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }" (f4 [| 1.0f |]))
                    [ "big-endian dtype '>f4'" ]
            }
            test "fortran_order True" {
                expectRefusal "fortran.npy" (craft 1uy "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }" (f4 [| 1.0f; 2.0f |]))
                    [ "fortran_order True" ]
            }
            test "truncated data" {
                expectRefusal "short.npy" (craft 1uy "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }" (f4 [| 1.0f; 2.0f; 3.0f |]))
                    [ "truncated data"; "needs 40 bytes, file has 12" ]
            }
            test "bytes after the data" {
                expectRefusal "long.npy" (craft 1uy "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" (f4 [| 1.0f; 2.0f |]))
                    [ "4 unexpected bytes after the data" ]
            }
            test "malformed header: missing key" {
                expectRefusal "nokey.npy" (craft 1uy "{'descr': '<f4', 'shape': (1,), }" (f4 [| 1.0f |]))
                    [ "malformed header"; "fortran_order" ]
            }
            test "malformed header: not a dict literal" {
                expectRefusal "syntax.npy" (craft 1uy "{'descr' '<f4', 'fortran_order': False}" (f4 [| 1.0f |])) [ "malformed header" ]
            }
            test "malformed header: file ends inside the header" {
                let whole = craft 1uy "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" (f4 [| 1.0f |])
                expectRefusal "cut.npy" whole[..20] [ "malformed header"; "ends inside" ]
            }
            test "bool byte other than 0 or 1" {
                expectRefusal "b1.npy" (craft 1uy "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }" [| 1uy; 7uy |])
                    [ "bool element 1 holds byte 7" ]
            }
            test "missing file" {
                let path = Path.Combine(TestPaths.scratchDir "npy-missing", "none.npy")
                let message = formatError (fun () -> Npy.Read path)
                Expect.stringContains message path "names the file"
                Expect.stringContains message "not found" "names the problem"
            }
        ]

        testList "conversions check ranges" [
            test "int64 beyond int32 is refused with the element's index" {
                let a = NpyArray("<i8", [| 2L; 2L |], [| 0L; 1L; 5_000_000_000L; 2L |], "big.npy")
                let message = formatError (fun () -> a.ToInt32Array())
                Expect.stringContains message "big.npy" "names the source"
                Expect.stringContains message "5000000000 at index (1, 0)" "names value and index"
                Expect.equal (NpyArray([| 3L; -4L |], 2L).ToInt32Array()) [| 3; -4 |] "in-range values convert"
            }
            test "booleans must be 0 or 1" {
                Expect.equal (NpyArray([| 0; 1; 1 |], 3L).ToBoolArray()) [| false; true; true |] "int 0/1"
                let message = formatError (fun () -> NpyArray([| 0uy; 2uy |], 2L).ToBoolArray())
                Expect.stringContains message "value 2 at index (1)" "names the bad element"
            }
            test "float32 conversions refuse what float32 cannot hold exactly" {
                Expect.equal (NpyArray([| 16777216L |], 1L).ToFloatArray()) [| 16777216.0f |] "2^24 is exact"
                formatError (fun () -> NpyArray([| 16777217L |], 1L).ToFloatArray()) |> ignore
                formatError (fun () -> NpyArray([| 1e300 |], 1L).ToFloatArray()) |> ignore
                let converted = NpyArray([| nan |], 1L).ToFloatArray()
                Expect.isTrue (Single.IsNaN converted[0]) "NaN stays NaN (finiteness is the dataset's check)"
            }
            test "floats convert to int32 only when whole" {
                Expect.equal (NpyArray([| 2.0f; -1.0f |], 2L).ToInt32Array()) [| 2; -1 |] "whole floats"
                formatError (fun () -> NpyArray([| 0.5f |], 1L).ToInt32Array()) |> ignore
            }
            test "the constructor refuses data that does not match dtype or shape" {
                Expect.throwsT<ArgumentException> (fun () -> NpyArray("<f4", [| 3L |], [| 1; 2; 3 |]) |> ignore) "int[] is not <f4"
                Expect.throwsT<ArgumentException> (fun () -> NpyArray([| 1.0f; 2.0f |], 3L) |> ignore) "2 elements for shape (3,)"
                Expect.throwsT<ArgumentException> (fun () -> NpyArray("<c8", [| 1L |], [| 1.0f |]) |> ignore) "unknown dtype"
            }
        ]
    ]
