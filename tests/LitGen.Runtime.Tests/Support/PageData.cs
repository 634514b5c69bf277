using System.Text.Json;
using System.Text.RegularExpressions;

namespace LitGen.Runtime.Tests.Support;

/// <summary>The JSON a LitGen page (metrics.html, the runs dashboard) embeds in its <c>&lt;script type="application/json"&gt;</c>.</summary>
public static class PageData
{
    public static JsonElement Read(string html, string scriptId)
    {
        var json = Regex.Match(html, $"<script type=\"application/json\" id=\"{scriptId}\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        return JsonDocument.Parse(json.Replace("<\\/", "</")).RootElement;
    }
}
