using System.Collections.Generic;
using System.ComponentModel;

namespace LitGen;

/// <summary>What <see cref="LitCli"/> needs from a module; implemented by generated code for every non-abstract <c>[LightningModule]</c>.</summary>
public interface ILitCliModule<TSelf> where TSelf : LightningModule
{
    /// <summary>The hyperparameters, in declaration order.</summary>
    static abstract IReadOnlyList<HyperparameterInfo> HyperparameterInfos { get; }

    /// <summary>Builds the module from hyperparameters as JSON (missing members take their defaults).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    static abstract TSelf CreateFromHyperparametersJson(string json);
}

/// <summary>How a hyperparameter's command-line value is read.</summary>
public enum HyperparameterKind
{
    /// <summary>A number.</summary>
    Number,
    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,
    /// <summary>Text.</summary>
    String,
    /// <summary>An enum member name.</summary>
    Enum,
    /// <summary>A comma-separated list (or a JSON array).</summary>
    List,
    /// <summary>A JSON object.</summary>
    Object,
}

/// <summary>One hyperparameter as the command line shows it.</summary>
/// <param name="Name">The property name; the option is its kebab-case form (<c>HiddenDim</c> → <c>--hidden-dim</c>).</param>
/// <param name="Type">The C# type, for help.</param>
/// <param name="Kind">How the value is parsed.</param>
/// <param name="Default">The default as shown in help, or null when the hyperparameter is required.</param>
/// <param name="Description">The member's documentation summary.</param>
public sealed record HyperparameterInfo(string Name, string Type, HyperparameterKind Kind, string? Default, string? Description);
