#nullable enable
// Compiled at build time by MSBuild's RoslynCodeTaskFactory (see LitGen.targets), so it depends on
// nothing but the BCL and MSBuild's task API.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks a GLIBCXX version need of libLibTorchSharp.so weak when the host's libstdc++ lacks it, or always
/// (<see cref="Always"/>: a published app runs on other machines than the one that built it).
/// </summary>
public sealed class LitGenWeakenElfVersionNeed : Microsoft.Build.Utilities.Task
{
    [Required] public string Directory { get; set; } = "";
    [Required] public string VersionName { get; set; } = "";

    /// <summary>Patch whatever the build host's libstdc++ provides (for published output, deployed elsewhere).</summary>
    public bool Always { get; set; }

    public override bool Execute()
    {
        if (!System.IO.Directory.Exists(Directory)) return true;
        var libraries = System.IO.Directory.GetFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        if (libraries.Length == 0) return true;

        var hostLibrary = ElfVersionNeedPatcher.FindHostLibStdCxx() ?? "the host's libstdc++";
        if (!Always)
        {
            if (!File.Exists(hostLibrary))
            {
                Log.LogMessage(MessageImportance.Low, "LitGen: no libstdc++.so.6 found in the standard library folders; libLibTorchSharp.so left as it is.");
                return true;
            }
            if (ElfVersionNeedPatcher.FileContainsVersion(hostLibrary, VersionName))
            {
                Log.LogMessage(MessageImportance.Low, $"LitGen: {hostLibrary} provides {VersionName}; no patch needed.");
                return true;
            }
        }

        foreach (var library in libraries)
        {
            try
            {
                var outcome = ElfVersionNeedPatcher.MarkVersionNeedWeak(library, VersionName);
                Log.LogMessage(MessageImportance.Normal, $"LitGen: {library}: {outcome} ({(Always ? "published output runs on any libstdc++" : $"{hostLibrary} lacks {VersionName}")}).");
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogError($"LitGen: could not mark {VersionName} weak in {library}: {e.Message}. "
                    + "Install a libstdc++ that provides it, or set LitGenPatchLibTorchSharp=false to skip this step.");
                return false;
            }
        }
        return true;
    }
}

/// <summary>ELF64 little-endian edits on the <c>.gnu.version_r</c> (SHT_GNU_verneed) section.</summary>
public static class ElfVersionNeedPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    private static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    public static string? FindHostLibStdCxx()
    {
        foreach (var candidate in LibStdCxxCandidates)
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    /// <summary>True when the file holds the NUL-terminated version name (a version definition of a shared library).</summary>
    public static bool FileContainsVersion(string path, string versionName)
    {
        var needle = Encoding.ASCII.GetBytes(versionName + "\0");
        var haystack = File.ReadAllBytes(path);
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    /// <summary>Reads the flags of every version need: (library, version name, flags).</summary>
    public static List<(string File, string Name, ushort Flags)> ReadVersionNeeds(byte[] elf)
    {
        var needs = new List<(string, string, ushort)>();
        foreach (var (aux, file, name) in EnumerateVernaux(elf))
            needs.Add((file, name, BitConverter.ToUInt16(elf, aux + 4)));
        return needs;
    }

    /// <summary>Sets VER_FLG_WEAK on the named version need, writing the result through a temporary file.</summary>
    /// <returns>What happened, for the build log.</returns>
    public static string MarkVersionNeedWeak(string path, string versionName)
    {
        var elf = File.ReadAllBytes(path);
        bool found = false, changed = false;
        foreach (var (aux, _, name) in EnumerateVernaux(elf))
        {
            if (name != versionName) continue;
            found = true;
            var flags = BitConverter.ToUInt16(elf, aux + 4);
            if ((flags & VerFlagWeak) != 0) continue;
            flags |= VerFlagWeak;
            elf[aux + 4] = (byte)flags;
            elf[aux + 5] = (byte)(flags >> 8);
            changed = true;
        }
        if (!found) return $"no need for {versionName}; left as it is";
        if (!changed) return $"{versionName} already weak";

        // Replace the directory entry rather than write through it: the output file may be a hard link into the NuGet
        // cache, and a rename leaves the linked original alone (a copy over it would not). Readers never see half a file.
        var temporary = path + ".litgen-tmp";
        File.WriteAllBytes(temporary, elf);
        File.Replace(temporary, path, destinationBackupFileName: null);
        return $"marked {versionName} weak";
    }

    private static IEnumerable<(int AuxOffset, string File, string Name)> EnumerateVernaux(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF files are supported");

        long sectionHeaders = BitConverter.ToInt64(elf, 0x28);
        int entrySize = BitConverter.ToUInt16(elf, 0x3A);
        int count = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < count; i++)
        {
            int header = checked((int)(sectionHeaders + (long)i * entrySize));
            if (BitConverter.ToUInt32(elf, header + 4) != ShtGnuVerneed) continue;

            int offset = checked((int)BitConverter.ToInt64(elf, header + 24));
            int stringsHeader = checked((int)(sectionHeaders + (long)BitConverter.ToUInt32(elf, header + 40) * entrySize));
            int strings = checked((int)BitConverter.ToInt64(elf, stringsHeader + 24));
            int needCount = checked((int)BitConverter.ToUInt32(elf, header + 44));

            int need = offset;
            for (int n = 0; n < needCount; n++)
            {
                string file = ReadString(elf, strings + (int)BitConverter.ToUInt32(elf, need + 4));
                int auxCount = BitConverter.ToUInt16(elf, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    yield return (aux, file, ReadString(elf, strings + (int)BitConverter.ToUInt32(elf, aux + 8)));
                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                need += (int)BitConverter.ToUInt32(elf, need + 12);
            }
        }
    }

    private static string ReadString(byte[] elf, int start)
    {
        int end = start;
        while (elf[end] != 0) end++;
        return Encoding.ASCII.GetString(elf, start, end - start);
    }
}
