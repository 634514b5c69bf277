using LitGen.Generators.Emit;
using LitGen.Generators.Parsing;
using LitGen.Shared;
using Microsoft.CodeAnalysis;

namespace LitGen.Generators;

/// <summary>
/// For each <c>partial</c> class marked <c>[LightningModule]</c>: the <c>HyperParameters</c> record, <c>Hparams</c>,
/// generated component registration, the hook dispatch table, the loop driver and <c>LoadFromCheckpoint</c>, in
/// <c>{Namespace}.{Class}.LitGen.g.cs</c>. Diagnostics leave through their own output with their original locations;
/// only the location-free model reaches the (cached) emit step.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class LightningModuleGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context) => ClassPipeline.Register(
        context, KnownSymbols.LightningModuleAttributeName, ModuleParser.Parse, TrackingNames.ModuleAnalysis, TrackingNames.ModuleModels,
        static model => (model.Type.FileName, ModuleEmitter.Emit(model)));
}
