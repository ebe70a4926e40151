# escape=`
# syntax=docker/dockerfile:1
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-NoProfile", "-Command"]
COPY <<EOF C:\app\settings.ini
[paths]
data=C:\data\
EOF
RUN Write-Host `
    "line one"; `
    Write-Host 'line two'
CMD ["powershell", "-File", "C:\\app\\start.ps1"]
