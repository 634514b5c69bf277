using System;

namespace LitGen;

/// <summary>
/// Marks a <c>partial</c> class deriving from <see cref="LightningModule{TBatch}"/> for LitGen's source generators,
/// which emit its component registration, its <c>HyperParameters</c> record and <c>LoadFromCheckpoint</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class LightningModuleAttribute : Attribute
{
}

/// <summary>
/// Marks a <c>partial</c> class deriving from <see cref="LightningDataModule{TBatch}"/> whose constructor takes
/// <c>[Hyperparameter]</c> members (a data folder, a batch size): LitGen generates its <c>HyperParameters</c> record,
/// which <c>hparams.yaml</c> includes and <see cref="LitCli"/> turns into command-line options and a <c>data</c> section.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class LightningDataModuleAttribute : Attribute
{
}

/// <summary>
/// Marks a property or field of a <see cref="LightningModuleAttribute"/> or <see cref="LightningDataModuleAttribute"/> class as a hyperparameter: it is saved in
/// checkpoints and <c>hparams.yaml</c>, and passed back to the constructor parameter of the same name on load.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = true, AllowMultiple = false)]
public sealed class HyperparameterAttribute : Attribute
{
}
