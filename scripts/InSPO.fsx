// Prelude for F# scripts and experiments: `#load "../scripts/InSPO.fsx"`.
// References the Release build of the engine (build it once with `dotnet fsi build.fsx -t Build`)
// and loads TorchSharp's native libraries, which `dotnet fsi` cannot find on its own.
#r "../core/InSPO.Core/bin/Release/net10.0/TorchSharp.dll"
#r "../core/InSPO.Core/bin/Release/net10.0/InSPO.Core.dll"

InSPO.Runtime.TorchRuntime.Initialize()
