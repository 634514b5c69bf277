using System.Linq;
using LitGen.Generators.Model;

namespace LitGen.Generators.Emit;

/// <summary>Writes <c>{Namespace}.{Class}.LitGen.g.cs</c> for one datamodule: its hyperparameters and LitCli's entry.</summary>
internal static class DataModuleEmitter
{
    public static string Emit(DataModuleModel model)
    {
        var type = model.Type;
        var writer = ModuleEmitter.BeginFile(type);
        // LitCli builds datamodules from hyperparameters alone; one that needs other constructor arguments is built in code.
        var cliConstructor = model.Constructor is { } constructor && !constructor.Parameters.Any(p => p.IsPassedThrough) ? constructor : null;
        writer.Open(cliConstructor is not null
            ? $"partial class {type.ClassName} : global::LitGen.ILitCliDataModule<{type.FullyQualifiedName}>"
            : $"partial class {type.ClassName}");
        string hide = type.BaseIsGeneratedModule ? "new " : "";
        HyperparameterEmitter.EmitHyperParametersRecord(writer, type, model.Hyperparameters, hide, "logged with the module's in <c>hparams.yaml</c>");
        writer.Line();
        HyperparameterEmitter.EmitHparams(writer, model.Hyperparameters, hide);
        if (cliConstructor is not null)
        {
            writer.Line();
            HyperparameterEmitter.EmitCli(writer, type, model.Hyperparameters, cliConstructor, "ILitCliDataModule");
        }
        return ModuleEmitter.EndFile(writer, type);
    }
}
