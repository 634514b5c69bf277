using LitGen.Generators.Emit;
using LitGen.Generators.Parsing;
using LitGen.Shared;
using Microsoft.CodeAnalysis;

namespace LitGen.Generators;

/// <summary>
/// For each <c>partial</c> class marked <c>[LightningDataModule]</c>: the <c>HyperParameters</c> record, <c>Hparams</c>
/// and LitCli's entry, in <c>{Namespace}.{Class}.LitGen.g.cs</c>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class LightningDataModuleGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context) => ClassPipeline.Register(
        context, KnownSymbols.LightningDataModuleAttributeName, DataModuleParser.Parse, TrackingNames.DataModuleAnalysis, TrackingNames.DataModuleModels,
        static model => (model.Type.FileName, DataModuleEmitter.Emit(model)));
}
