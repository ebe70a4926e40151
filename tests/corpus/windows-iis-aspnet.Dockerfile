# escape=`

FROM mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019
SHELL ["powershell", "-command"]
RUN Install-WindowsFeature NET-WCF-HTTP-Activation45; `
    Remove-Website -Name 'Default Web Site'; `
    New-Website -Name 'legacyportal' -Port 80 -PhysicalPath 'C:\inetpub\wwwroot\portal'
COPY publish\ C:\inetpub\wwwroot\portal\
EXPOSE 80
HEALTHCHECK --interval=30s CMD powershell -command `
    try { `
      $r = Invoke-WebRequest http://localhost/health -UseBasicParsing; `
      if ($r.StatusCode -eq 200) { return 0 } else { return 1 } `
    } catch { return 1 }
