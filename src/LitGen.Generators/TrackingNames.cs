namespace LitGen.Generators;

/// <summary>Names of the incremental pipeline steps, asserted by the incrementality tests.</summary>
internal static class TrackingNames
{
    public const string ModuleAnalysis = nameof(ModuleAnalysis);
    public const string ModuleModels = nameof(ModuleModels);
    public const string Diagnostics = nameof(Diagnostics);
    public const string DataModuleAnalysis = nameof(DataModuleAnalysis);
    public const string DataModuleModels = nameof(DataModuleModels);
    public const string ForwardAnalysis = nameof(ForwardAnalysis);
    public const string ForwardModels = nameof(ForwardModels);
}
