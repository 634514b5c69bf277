using System;
using System.Collections.Generic;

namespace LitGen;

/// <summary>A configuration section built into one object: the module (<c>model</c>) or the datamodule (<c>data</c>).</summary>
internal sealed record CliSection(string Name, string TypeName, IReadOnlyList<HyperparameterInfo> Hyperparameters, Func<string, object> Create,
    Func<object, IHyperparameters?> Current);
