using System.Collections.Generic;
using System.ComponentModel;

namespace LitGen;

/// <summary>
/// What <see cref="LitCli"/> needs from a datamodule; implemented by generated code for every non-abstract
/// <c>[LightningDataModule]</c> whose constructor takes only hyperparameters (and optional arguments).
/// </summary>
public interface ILitCliDataModule<TSelf> where TSelf : class
{
    /// <summary>The hyperparameters, in declaration order.</summary>
    static abstract IReadOnlyList<HyperparameterInfo> HyperparameterInfos { get; }

    /// <summary>Builds the datamodule from hyperparameters as JSON (missing members take their defaults).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    static abstract TSelf CreateFromHyperparametersJson(string json);
}
