// Prelude for F# scripts and experiments: `#load "../scripts/InSPO.fsx"`.
// References the Release build of the engine and of the experiment library (build once with
// `dotnet fsi build.fsx -t Build`) and loads TorchSharp's native libraries, which `dotnet fsi`
// cannot find on its own.
#I __SOURCE_DIRECTORY__
#r "InSPO.Scripting/bin/Release/net10.0/TorchSharp.dll"
#r "InSPO.Scripting/bin/Release/net10.0/InSPO.Core.dll"
#r "InSPO.Scripting/bin/Release/net10.0/MathNet.Numerics.dll"
#r "InSPO.Scripting/bin/Release/net10.0/XPlot.Plotly.dll"
#r "InSPO.Scripting/bin/Release/net10.0/InSPO.Scripting.dll"

InSPO.Runtime.TorchRuntime.Initialize()
